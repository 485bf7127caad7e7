/*
 * fuzz_venv_cfg.c: libFuzzer harness for the pyvenv.cfg parser
 * (venv_cfg_parse, the pure part of venv_cfg_load).
 *
 * Properties: the input is refused exactly when it holds a NUL or is
 * over VENV_CFG_MAX_SIZE; every value read is one line with no
 * surrounding whitespace; writing a value back as "key = value" and
 * parsing that gives the same value.
 */
#include "config.h"

#include <string.h>

#include "buf.h"
#include "fuzz.h"
#include "venv_cfg.h"

/* Is c stripped from the ends of a value? */
static int
is_strip_space(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' ||
	    c == '\f' || (c >= 0x1c && c <= 0x1f);
}

/* Check that v (may be NULL) is one line with nothing to strip at its ends. */
static void
check_value(const char *v)
{
	size_t n;

	if (v == NULL)
		return;
	n = strlen(v);
	FUZZ_ASSERT(strchr(v, '\n') == NULL);
	if (n > 0) {
		FUZZ_ASSERT(!is_strip_space((unsigned char)v[0]));
		FUZZ_ASSERT(!is_strip_space((unsigned char)v[n - 1]));
	}
}

/* Write key = v as a file of its own, parse it, and get v back in the slot picked. */
static void
check_round_trip(const char *key, const char *v, size_t off)
{
	struct venv_cfg again;
	struct buf b = BUF_INIT;
	char err[256];
	char *got;

	if (v == NULL)
		return;
	buf_printf(&b, "%s = %s\n", key, v);
	FUZZ_ASSERT(venv_cfg_parse(b.data, b.len, &again, err, sizeof err) == 0);
	got = *(char **)((char *)&again + off);
	FUZZ_ASSERT(got != NULL && strcmp(got, v) == 0);
	venv_cfg_free(&again);
	buf_free(&b);
}

/* One input: the bytes of a pyvenv.cfg. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data;
	struct venv_cfg cfg;
	char err[256];
	int r, refuse;

	err[0] = '\0';
	refuse = size > VENV_CFG_MAX_SIZE ||
	    (size > 0 && memchr(text, '\0', size) != NULL);
	r = venv_cfg_parse(text, size, &cfg, err, sizeof err);
	if (refuse) {
		FUZZ_ASSERT(r == -1 && err[0] != '\0');
		venv_cfg_free(&cfg);
		return 0;
	}
	FUZZ_ASSERT(r == 0);
	FUZZ_ASSERT(cfg.kind == VENV_KIND_VENV || cfg.kind == VENV_KIND_VIRTUALENV ||
	    cfg.kind == VENV_KIND_UV);
	FUZZ_ASSERT(cfg.include_system_site_packages >= -1 &&
	    cfg.include_system_site_packages <= 1);
	FUZZ_ASSERT(strcmp(venv_kind_name(cfg.kind), "unknown") != 0);
	check_value(cfg.home);
	check_value(cfg.version);
	check_value(cfg.executable);
	check_value(cfg.command);
	/* A prompt loses its quotes, so only "one line" holds for it. */
	FUZZ_ASSERT(cfg.prompt == NULL || strchr(cfg.prompt, '\n') == NULL);
	check_round_trip("home", cfg.home, offsetof(struct venv_cfg, home));
	check_round_trip("version", cfg.version, offsetof(struct venv_cfg, version));
	check_round_trip("executable", cfg.executable,
	    offsetof(struct venv_cfg, executable));
	check_round_trip("command", cfg.command, offsetof(struct venv_cfg, command));
	venv_cfg_free(&cfg);
	FUZZ_ASSERT(cfg.home == NULL && cfg.prompt == NULL);
	return 0;
}
