/*
 * check_locator_poetry.c: Poetry's venvs (common/locator_poetry.c) over
 * temp trees, and the names Poetry gives them.
 *
 * The name vectors were produced by the real tool: Debian 12's
 * python3-poetry 1.3.2 (Python 3.11), offline, "poetry env use
 * /usr/bin/python3" then "poetry env info -p" in a project of that name
 * at that path, with POETRY_VIRTUALENVS_PATH set to a temp directory.
 */
#include "config.h"

#include <sys/stat.h>

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "locator.h"
#include "locator_poetry.h"
#include "resolve.h"
#include "suites.h"
#include "tmptree.h"
#include "xmalloc.h"

static const char *const default_dirs[] = { ".venv", "venv" };
static const struct locator *const table_poetry[] = { &locator_poetry, NULL };

/* What "poetry env info -p" printed (the directory under virtualenvs, less "-py3.11"). */
static const struct {
	const char *dir;	/* the project's realpath */
	const char *name;	/* tool.poetry.name */
	const char *env;	/* the base name */
} vectors[] = {
	{ "/tmp/lp/cap/a", "My Proj", "my_proj-Z_fLdNr_" },
	/* The same name in another directory. */
	{ "/tmp/lp/cap/b", "My Proj", "my_proj-kx0N18j-" },
	{ "/tmp/lp/cap/dir with space/\xc3\xbcn\xc3\xaf", "My Proj", "my_proj-CZpjQ_p6" },
	{ "/tmp/lp/cap/c", "My.Proj__x--Y", "my-proj-x-y-Rb0SsjdQ" },
	{ "/tmp/lp/cap/d", "\xc3\x9cn\xc3\xaf" "code \xc3\x84rger",
	    "\xc3\xbcn\xc3\xaf" "code_\xc3\xa4rger-8p9ov9jG" },
	{ "/tmp/lp/cap/e", "we$ird`n!*@x", "we_ird_n___x-UN0_YzjZ" },
	{ "/tmp/lp/cap/f",
	    "a-very-long-project-name-that-is-longer-than-forty-two-characters",
	    "a-very-long-project-name-that-is-longer-th-lRrqx6HG" },
	/* "ÀÉÎÕÜ Ωμέγα Жук" */
	{ "/tmp/lp/cap/g",
	    "\xc3\x80\xc3\x89\xc3\x8e\xc3\x95\xc3\x9c \xce\xa9\xce\xbc\xce\xad\xce\xb3\xce\xb1 \xd0\x96\xd1\x83\xd0\xba",
	    "\xc3\xa0\xc3\xa9\xc3\xae\xc3\xb5\xc3\xbc_\xcf\x89\xce\xbc\xce\xad\xce\xb3\xce\xb1_\xd0\xb6\xd1\x83\xd0\xba-ESrw6ou3" },
	/* name = "X\"Y\\z\tw\u00C9" in pyproject.toml */
	{ "/tmp/lp/cap/h", "X\"Y\\z\tw\xc3\x89", "x_y_z_w\xc3\xa9-Nf1suuof" },
};

/* Resolving walks and dependencies go through these. */
struct ctx {
	const char	*root;
	const char	*env[8];
	size_t		 nenv;
	struct buf	 deps;
	char		*envbuf[8];
	const char *const *off;		/* the config's locators turned off */
	size_t		 noff;
};

/* Add NAME=value to c's environment (value may use "%R" for the root, at its start). */
static void
ctx_env(struct ctx *c, const char *name, const char *value)
{
	char *s;

	if (strncmp(value, "%R", 2) == 0)
		xasprintf(&s, "%s=%s%s", name, c->root, value + 2);
	else
		xasprintf(&s, "%s=%s", name, value);
	c->envbuf[c->nenv] = s;
	c->env[c->nenv++] = s;
	c->env[c->nenv] = NULL;
}

/* A context whose HOME is root/home. */
static void
ctx_init(struct ctx *c, const char *root)
{
	memset(c, 0, sizeof *c);
	c->root = root;
	ctx_env(c, "HOME", "%R/home");
}

/* Free what ctx_env made. */
static void
ctx_free(struct ctx *c)
{
	for (size_t i = 0; i < c->nenv; i++)
		free(c->envbuf[i]);
	buf_free(&c->deps);
}

/* The dependency callback: "KIND path" lines, the root cut to "R". */
static void
collect_dep(void *arg, const char *dir, enum resolve_dep kind)
{
	struct ctx *c = arg;
	size_t n = strlen(c->root);

	if (strncmp(dir, c->root, n) == 0)
		buf_printf(&c->deps, "%s R%s\n", resolve_dep_name(kind), dir + n);
	else
		buf_printf(&c->deps, "%s %s\n", resolve_dep_name(kind), dir);
}

/* Resolve root/rel with table; 1 with vi filled, or 0. */
static int
walk(struct ctx *c, const struct locator *const *table, const char *rel,
    struct venv_info *vi)
{
	struct resolve_opts opts = { .venv_dirs = default_dirs, .n_venv_dirs = 2 };
	char err[256] = "", *path;
	int r;

	opts.env = c->env;
	opts.locators_off = c->off;
	opts.n_locators_off = c->noff;
	opts.dep = collect_dep;
	opts.dep_ctx = c;
	buf_reset(&c->deps);
	xasprintf(&path, "%s/%s", c->root, rel);
	r = resolve_dir_with(table, path, &opts, vi, err, sizeof err);
	ck_assert_msg(r != -1, "resolve %s: %s", path, err);
	free(path);
	return r;
}

/* Write a Poetry pyproject.toml for name (a TOML string's contents) at root/rel. */
static void
project(const char *root, const char *rel, const char *name)
{
	char *text, *file;

	xasprintf(&text, "[tool.poetry]\nname = \"%s\"\nversion = \"0.1.0\"\n"
	    "description = \"\"\nauthors = []\n\n[tool.poetry.dependencies]\n"
	    "python = \"^3.8\"\n", name);
	xasprintf(&file, "%s/pyproject.toml", rel);
	tmptree_write(root, file, text);
	free(file);
	free(text);
}

/* The base name of root/rel's venvs for name (naming as given). */
static char *
base_of(const char *root, const char *rel, const char *name, enum poetry_naming naming)
{
	char *p, real[PATH_MAX], out[512];

	xasprintf(&p, "%s/%s", root, rel);
	ck_assert_ptr_nonnull(realpath(p, real));
	ck_assert_int_gt(poetry_env_name(name, naming, real, out, sizeof out), 0);
	free(p);
	return xstrdup(out);
}

/* Make the venv <store>/<base>-py<minor> (store relative to root); its relative path. */
static char *
central(const char *root, const char *store, const char *base, const char *minor)
{
	char *rel;

	xasprintf(&rel, "%s/%s-py%s", store, base, minor);
	tmptree_venv(root, rel, "");
	return rel;
}

/* Assert vi is the venv at root/path for project root/proj, found by Poetry; free it. */
static void
assert_poetry(struct venv_info *vi, const char *root, const char *path,
    const char *proj)
{
	char *p, *q;

	xasprintf(&p, "%s/%s", root, path);
	xasprintf(&q, "%s/%s", root, proj);
	ck_assert_str_eq(vi->path, p);
	ck_assert_str_eq(vi->project, q);
	ck_assert_str_eq(vi->found_as, "poetry");
	free(p);
	free(q);
	venv_info_free(vi);
}

#define STORE	"home/.cache/pypoetry/virtualenvs"

/* The names Poetry 1.3.2 gave, byte for byte. */
START_TEST(test_env_name_vectors)
{
	char out[512];

	for (size_t i = 0; i < sizeof vectors / sizeof vectors[0]; i++) {
		ck_assert_int_eq(poetry_env_name(vectors[i].name, POETRY_NAMING_PEP503,
		    vectors[i].dir, out, sizeof out), (int)strlen(vectors[i].env));
		ck_assert_str_eq(out, vectors[i].env);
	}
}
END_TEST

/* 42 characters, not bytes: 46 capital omegas (also from poetry 1.3.2). */
START_TEST(test_env_name_cut_in_characters)
{
	struct buf name = BUF_INIT, want = BUF_INIT;
	char out[512];

	for (int i = 0; i < 46; i++)
		buf_puts(&name, "\xce\xa9");
	for (int i = 0; i < 42; i++)
		buf_puts(&want, "\xcf\x89");
	buf_puts(&want, "-mo0UZ5TM");
	ck_assert_int_gt(poetry_env_name(name.data, POETRY_NAMING_PEP503,
	    "/tmp/lp/cap/i", out, sizeof out), 0);
	ck_assert_str_eq(out, want.data);
	buf_free(&name);
	buf_free(&want);
}
END_TEST

/*
 * Poetry 1.1 (poetry-core 1.0's canonicalize_name: runs of [-_] only)
 * keeps dots; Python's str.lower() gives the final sigma and "i" plus
 * U+0307 for U+0130 (vectors from Python 3.11's str.lower()).
 */
START_TEST(test_env_name_rules)
{
	char out[512];

	ck_assert_int_gt(poetry_env_name("My.Proj__x--Y", POETRY_NAMING_LEGACY,
	    "/tmp/lp/cap/c", out, sizeof out), 0);
	ck_assert_str_eq(out, "my.proj-x-y-Rb0SsjdQ");
	/* "ΟΔΥΣΣΕΥΣ Σ" lowers to "οδυσσευς σ". */
	ck_assert_int_gt(poetry_env_name("\xce\x9f\xce\x94\xce\xa5\xce\xa3\xce\xa3"
	    "\xce\x95\xce\xa5\xce\xa3 \xce\xa3", POETRY_NAMING_PEP503, "/", out,
	    sizeof out), 0);
	ck_assert_ptr_nonnull(strstr(out, "\xce\xbf\xce\xb4\xcf\x85\xcf\x83\xcf\x83"
	    "\xce\xb5\xcf\x85\xcf\x82_\xcf\x83-"));
	ck_assert_int_gt(poetry_env_name("\xc4\xb0X", POETRY_NAMING_PEP503, "/", out,
	    sizeof out), 0);
	ck_assert_ptr_nonnull(strstr(out, "i\xcc\x87x-"));
	/* Not UTF-8, or no room: -1. */
	ck_assert_int_eq(poetry_env_name("a\xff", POETRY_NAMING_PEP503, "/", out,
	    sizeof out), -1);
	ck_assert_int_eq(poetry_env_name("abc", POETRY_NAMING_PEP503, "/", out, 12), -1);
	ck_assert_int_eq(poetry_env_name("abc", POETRY_NAMING_PEP503, "/", out, 13), 12);
}
END_TEST

/* The default store, from the project and a subdirectory; nothing before the venv exists. */
START_TEST(test_default_store)
{
	char *root = tmptree_new(), *base, *venv;
	struct venv_info vi;
	struct ctx c;

	ctx_init(&c, root);
	project(root, "proj", "My Proj");
	tmptree_mkdir(root, "proj/src/pkg");
	tmptree_mkdir(root, "home");
	ck_assert_int_eq(walk(&c, locators, "proj/src/pkg", &vi), 0);
	/* The store does not exist yet: its appearing matters, nothing else in home. */
	ck_assert_ptr_nonnull(strstr(c.deps.data, "FILE R/proj/pyproject.toml\n"));
	ck_assert_ptr_nonnull(strstr(c.deps.data, "ABSENT R/home/.cache/pypoetry/virtualenvs\n"));
	ck_assert_ptr_null(strstr(c.deps.data, "DIR R/home\n"));
	base = base_of(root, "proj", "My Proj", POETRY_NAMING_PEP503);
	venv = central(root, STORE, base, "3.11");
	ck_assert_int_eq(walk(&c, locators, "proj/src/pkg", &vi), 1);
	assert_poetry(&vi, root, venv, "proj");
	ck_assert_int_eq(walk(&c, table_poetry, "proj", &vi), 1);
	assert_poetry(&vi, root, venv, "proj");
	free(venv);
	free(base);
	ctx_free(&c);
	tmptree_free(root);
}
END_TEST

/* What the answer depends on is reported. */
START_TEST(test_deps)
{
	char *root = tmptree_new(), *base, *venv, *want;
	struct venv_info vi;
	struct ctx c;

	ctx_init(&c, root);
	project(root, "proj", "app");
	tmptree_write(root, "proj/poetry.toml", "[virtualenvs]\ncreate = true\n");
	tmptree_write(root, "home/.config/pypoetry/config.toml", "");
	base = base_of(root, "proj", "app", POETRY_NAMING_PEP503);
	venv = central(root, STORE, base, "3.11");
	xasprintf(&want, "[\"%s\"]\nminor = \"3.11\"\npatch = \"3.11.2\"\n", base);
	tmptree_write(root, STORE "/envs.toml", want);
	free(want);
	ck_assert_int_eq(walk(&c, table_poetry, "proj", &vi), 1);
	assert_poetry(&vi, root, venv, "proj");
	xasprintf(&want,
	    "LEVEL R/proj\n"
	    "FILE R/proj/pyproject.toml\n"
	    "FILE R/home/.config/pypoetry/config.toml\n"
	    "FILE R/proj/poetry.toml\n"
	    "DIR R/" STORE "\n"
	    "FILE R/" STORE "/envs.toml\n"
	    "VENV R/%s\n"
	    "BIN R/%s/bin\n", venv, venv);
	ck_assert_msg(strncmp(c.deps.data, want, strlen(want)) == 0,
	    "deps:\n%s\nwant first:\n%s", c.deps.data, want);
	free(want);
	/* Without config.toml its directory is watched for it to appear. */
	tmptree_free(root);
	root = tmptree_new();
	c.root = root;
	ctx_free(&c);
	ctx_init(&c, root);
	project(root, "proj", "app");
	tmptree_mkdir(root, "home/.config/pypoetry");
	ck_assert_int_eq(walk(&c, table_poetry, "proj", &vi), 0);
	ck_assert_ptr_nonnull(strstr(c.deps.data, "DIR R/home/.config/pypoetry\n"));
	free(venv);
	free(base);
	ctx_free(&c);
	tmptree_free(root);
}
END_TEST

/* Two projects of the same name in different directories get their own venvs. */
START_TEST(test_same_name_two_dirs)
{
	char *root = tmptree_new(), *ba, *bb, *va, *vb;
	struct venv_info vi;
	struct ctx c;

	ctx_init(&c, root);
	project(root, "a/app", "app");
	project(root, "b/app", "app");
	ba = base_of(root, "a/app", "app", POETRY_NAMING_PEP503);
	bb = base_of(root, "b/app", "app", POETRY_NAMING_PEP503);
	ck_assert_str_ne(ba, bb);
	va = central(root, STORE, ba, "3.11");
	vb = central(root, STORE, bb, "3.11");
	ck_assert_int_eq(walk(&c, locators, "a/app", &vi), 1);
	assert_poetry(&vi, root, va, "a/app");
	ck_assert_int_eq(walk(&c, locators, "b/app", &vi), 1);
	assert_poetry(&vi, root, vb, "b/app");
	free(va);
	free(vb);
	free(ba);
	free(bb);
	ctx_free(&c);
	tmptree_free(root);
}
END_TEST

/* A path with spaces and non-ASCII, a non-ASCII name, reached through a symlink. */
START_TEST(test_spaces_non_ascii_symlink)
{
	static const char dir[] = "dir with space/\xc3\xbcn\xc3\xaf";
	static const char name[] = "\xc3\x9cn\xc3\xaf" "code \xc3\x84rger";
	char *root = tmptree_new(), *base, *venv, *link;
	struct venv_info vi;
	struct ctx c;

	ctx_init(&c, root);
	project(root, dir, name);
	base = base_of(root, dir, name, POETRY_NAMING_PEP503);
	ck_assert_ptr_nonnull(strstr(base, "\xc3\xbcn\xc3\xaf" "code_\xc3\xa4rger-"));
	venv = central(root, STORE, base, "3.11");
	ck_assert_int_eq(walk(&c, locators, dir, &vi), 1);
	assert_poetry(&vi, root, venv, dir);
	/* Poetry hashes the realpath: the same venv through a link, project as reached. */
	xasprintf(&link, "%s/%s", root, dir);
	tmptree_symlink(root, "link", link);
	ck_assert_int_eq(walk(&c, locators, "link", &vi), 1);
	assert_poetry(&vi, root, venv, "link");
	free(link);
	free(venv);
	free(base);
	ctx_free(&c);
	tmptree_free(root);
}
END_TEST

/* XDG_CACHE_HOME, config.toml, poetry.toml and the environment, in Poetry's order. */
START_TEST(test_settings_order)
{
	char *root = tmptree_new(), *base, *v1, *v2, *v3, *v4, *v5;
	struct venv_info vi;
	struct ctx c;

	ctx_init(&c, root);
	project(root, "proj", "app");
	base = base_of(root, "proj", "app", POETRY_NAMING_PEP503);
	v1 = central(root, "xdg/pypoetry/virtualenvs", base, "3.11");
	v2 = central(root, "cfg-store", base, "3.11");
	v3 = central(root, "home/local-store", base, "3.11");
	v4 = central(root, "env-store", base, "3.11");
	v5 = central(root, "cache/virtualenvs", base, "3.11");
	ctx_env(&c, "XDG_CACHE_HOME", "%R/xdg");
	ck_assert_int_eq(walk(&c, table_poetry, "proj", &vi), 1);
	assert_poetry(&vi, root, v1, "proj");
	/* config.toml: cache-dir, then {cache-dir} in virtualenvs.path. */
	ctx_env(&c, "XDG_CONFIG_HOME", "%R/cfg");
	{
		char *t;

		xasprintf(&t, "cache-dir = \"%s/cache\"\n", root);
		tmptree_write(root, "cfg/pypoetry/config.toml", t);
		free(t);
	}
	ck_assert_int_eq(walk(&c, table_poetry, "proj", &vi), 1);
	assert_poetry(&vi, root, v5, "proj");
	{
		char *t;

		xasprintf(&t, "[virtualenvs]\npath = \"%s/cfg-store/\"\n", root);
		tmptree_write(root, "cfg/pypoetry/config.toml", t);
		free(t);
	}
	ck_assert_int_eq(walk(&c, table_poetry, "proj", &vi), 1);
	assert_poetry(&vi, root, v2, "proj");
	/* poetry.toml beats config.toml; "~" is HOME. */
	tmptree_write(root, "proj/poetry.toml",
	    "virtualenvs.path = \"~/local-store\"\n");
	ck_assert_int_eq(walk(&c, table_poetry, "proj", &vi), 1);
	assert_poetry(&vi, root, v3, "proj");
	/* The environment beats both. */
	ctx_env(&c, "POETRY_VIRTUALENVS_PATH", "%R/env-store");
	ck_assert_int_eq(walk(&c, table_poetry, "proj", &vi), 1);
	assert_poetry(&vi, root, v4, "proj");
	/* A relative path cannot be placed: nothing. */
	c.nenv--;
	free(c.envbuf[c.nenv]);
	c.env[c.nenv] = NULL;
	tmptree_write(root, "proj/poetry.toml", "virtualenvs.path = \"rel/store\"\n");
	ck_assert_int_eq(walk(&c, table_poetry, "proj", &vi), 0);
	/* A poetry.toml Poetry cannot read: nothing, as Poetry would not run. */
	tmptree_write(root, "proj/poetry.toml", "[virtualenvs\n");
	ck_assert_int_eq(walk(&c, table_poetry, "proj", &vi), 0);
	/* virtualenvs.create = false: Poetry uses no venv. */
	tmptree_write(root, "proj/poetry.toml", "[virtualenvs]\ncreate = false\n");
	ck_assert_int_eq(walk(&c, table_poetry, "proj", &vi), 0);
	ctx_env(&c, "POETRY_VIRTUALENVS_CREATE", "1");
	ck_assert_int_eq(walk(&c, table_poetry, "proj", &vi), 1);
	assert_poetry(&vi, root, v2, "proj");
	free(v1);
	free(v2);
	free(v3);
	free(v4);
	free(v5);
	free(base);
	ctx_free(&c);
	tmptree_free(root);
}
END_TEST

/* envs.toml picks the minor; without it the system's, else the highest. */
START_TEST(test_envs_toml_minor)
{
	char *root = tmptree_new(), *base, *v9, *vsys, *v99, *t, sys[16] = "";
	char target[64];
	struct venv_info vi;
	struct ctx c;
	ssize_t n;

	n = readlink("/usr/bin/python3", target, sizeof target - 1);
	if (n > 6) {
		target[n] = '\0';
		if (strncmp(target, "python3.", 8) == 0 && strlen(target + 6) < sizeof sys)
			memcpy(sys, target + 6, strlen(target + 6) + 1);
	}
	ctx_init(&c, root);
	project(root, "proj", "app");
	base = base_of(root, "proj", "app", POETRY_NAMING_PEP503);
	v9 = central(root, STORE, base, "3.9");
	v99 = central(root, STORE, base, "3.99");
	vsys = sys[0] != '\0' ? central(root, STORE, base, sys) : NULL;
	ck_assert_int_eq(walk(&c, table_poetry, "proj", &vi), 1);
	if (vsys != NULL && strcmp(sys, "3.9") != 0)
		assert_poetry(&vi, root, vsys, "proj");
	else
		assert_poetry(&vi, root, v99, "proj");
	xasprintf(&t, "[%s]\nminor = \"3.9\"\npatch = \"3.9.18\"\n\n[other-AAAAAAAA]\n"
	    "minor = \"3.99\"\n", base);
	tmptree_write(root, STORE "/envs.toml", t);
	free(t);
	ck_assert_int_eq(walk(&c, table_poetry, "proj", &vi), 1);
	assert_poetry(&vi, root, v9, "proj");
	/* The recorded one is gone: Poetry would use no venv, and neither do we. */
	xasprintf(&t, "[%s]\nminor = \"3.7\"\n", base);
	tmptree_write(root, STORE "/envs.toml", t);
	free(t);
	ck_assert_int_eq(walk(&c, table_poetry, "proj", &vi), 0);
	free(v9);
	free(v99);
	free(vsys);
	free(base);
	ctx_free(&c);
	tmptree_free(root);
}
END_TEST

/* An existing .venv is Poetry's unless virtualenvs.in-project is false. */
START_TEST(test_in_project)
{
	char *root = tmptree_new(), *base, *venv;
	struct venv_info vi;
	struct ctx c;

	ctx_init(&c, root);
	project(root, "proj", "app");
	base = base_of(root, "proj", "app", POETRY_NAMING_PEP503);
	venv = central(root, STORE, base, "3.11");
	tmptree_venv(root, "proj/.venv", "");
	ck_assert_int_eq(walk(&c, table_poetry, "proj", &vi), 1);
	assert_poetry(&vi, root, "proj/.venv", "proj");
	/* venv_dirs comes first in the shipped table. */
	ck_assert_int_eq(walk(&c, locators, "proj", &vi), 1);
	ck_assert_str_eq(vi.found_as, ".venv");
	venv_info_free(&vi);
	tmptree_write(root, "proj/poetry.toml", "[virtualenvs]\nin-project = false\n");
	ck_assert_int_eq(walk(&c, table_poetry, "proj", &vi), 1);
	assert_poetry(&vi, root, venv, "proj");
	ctx_env(&c, "POETRY_VIRTUALENVS_IN_PROJECT", "true");
	ck_assert_int_eq(walk(&c, table_poetry, "proj", &vi), 1);
	assert_poetry(&vi, root, "proj/.venv", "proj");
	free(venv);
	free(base);
	ctx_free(&c);
	tmptree_free(root);
}
END_TEST

/* Not a Poetry project, or not one Poetry could read: nothing. */
START_TEST(test_not_poetry)
{
	char *root = tmptree_new(), *base, *venv;
	struct venv_info vi;
	struct ctx c;

	ctx_init(&c, root);
	tmptree_mkdir(root, "p");
	base = base_of(root, "p", "app", POETRY_NAMING_PEP503);
	venv = central(root, STORE, base, "3.11");
	ck_assert_int_eq(walk(&c, table_poetry, "p", &vi), 0);
	tmptree_write(root, "p/pyproject.toml", "[project]\nname = \"app\"\n");
	ck_assert_int_eq(walk(&c, table_poetry, "p", &vi), 0);
	tmptree_write(root, "p/pyproject.toml", "[tool.poetry]\nversion = \"1\"\n");
	ck_assert_int_eq(walk(&c, table_poetry, "p", &vi), 0);
	tmptree_write(root, "p/pyproject.toml", "[tool.poetry]\nname = \"app\n");
	ck_assert_int_eq(walk(&c, table_poetry, "p", &vi), 0);
	tmptree_write(root, "p/pyproject.toml", "[tool.poetry]\nname = \"app\"\nname = \"b\"\n");
	ck_assert_int_eq(walk(&c, table_poetry, "p", &vi), 0);
	/* Poetry 2: [tool.poetry] without a name takes [project] name. */
	tmptree_write(root, "p/pyproject.toml",
	    "[project]\nname = \"app\"\n[tool.poetry]\npackage-mode = false\n");
	ck_assert_int_eq(walk(&c, table_poetry, "p", &vi), 1);
	assert_poetry(&vi, root, venv, "p");
	/* No HOME: no default store, no crash. */
	c.nenv = 0;
	c.env[0] = NULL;
	ck_assert_int_eq(walk(&c, table_poetry, "p", &vi), 0);
	c.nenv = 1;
	c.env[0] = c.envbuf[0];
	free(venv);
	free(base);
	ctx_free(&c);
	tmptree_free(root);
}
END_TEST

/* A venv named by Poetry 1.1's rule is found too; the current rule comes first. */
START_TEST(test_legacy_name)
{
	char *root = tmptree_new(), *bnew, *bold, *vnew, *vold;
	struct venv_info vi;
	struct ctx c;

	ctx_init(&c, root);
	project(root, "proj", "My.Proj");
	bnew = base_of(root, "proj", "My.Proj", POETRY_NAMING_PEP503);
	bold = base_of(root, "proj", "My.Proj", POETRY_NAMING_LEGACY);
	ck_assert_str_ne(bnew, bold);
	vold = central(root, STORE, bold, "3.11");
	ck_assert_int_eq(walk(&c, table_poetry, "proj", &vi), 1);
	assert_poetry(&vi, root, vold, "proj");
	vnew = central(root, STORE, bnew, "3.11");
	ck_assert_int_eq(walk(&c, table_poetry, "proj", &vi), 1);
	assert_poetry(&vi, root, vnew, "proj");
	free(vnew);
	free(vold);
	free(bnew);
	free(bold);
	ctx_free(&c);
	tmptree_free(root);
}
END_TEST

/* Loops, unreadable and odd files end quietly. */
START_TEST(test_odd_files)
{
	char *root = tmptree_new(), *base, *venv, *file;
	struct venv_info vi;
	struct ctx c;

	ctx_init(&c, root);
	tmptree_mkdir(root, "p");
	base = base_of(root, "p", "app", POETRY_NAMING_PEP503);
	venv = central(root, STORE, base, "3.11");
	tmptree_symlink(root, "p/pyproject.toml", "pyproject.toml");
	ck_assert_int_eq(walk(&c, table_poetry, "p", &vi), 0);
	xasprintf(&file, "%s/p/pyproject.toml", root);
	ck_assert_int_eq(unlink(file), 0);
	free(file);
	tmptree_mkdir(root, "p/pyproject.toml");
	ck_assert_int_eq(walk(&c, table_poetry, "p", &vi), 0);
	free(venv);
	free(base);
	ctx_free(&c);
	tmptree_free(root);
}
END_TEST

/*
 * The config's locators: with poetry off, a Poetry project's central
 * venv applies to nothing, and pyproject.toml stops mattering to a
 * level; an in-project .venv is still found by venv_dirs. On, the
 * answer names the file that made Poetry's rule apply.
 */
START_TEST(test_turned_off)
{
	static const char *const poetry_off[] = { "poetry" };
	static const char *const others_off[] = { "venv_dirs", "pipenv", "pdm" };
	struct resolve_opts opts = { .venv_dirs = default_dirs, .n_venv_dirs = 2 };
	char *root = tmptree_new(), *base, *venv;
	struct venv_info vi;
	struct ctx c;

	ctx_init(&c, root);
	project(root, "proj", "api");
	tmptree_mkdir(root, "proj/src");
	base = base_of(root, "proj", "api", POETRY_NAMING_PEP503);
	venv = central(root, STORE, base, "3.11");
	ck_assert_int_eq(walk(&c, locators, "proj/src", &vi), 1);
	ck_assert_str_eq(vi.found_via, "pyproject.toml");
	assert_poetry(&vi, root, venv, "proj");

	c.off = poetry_off;
	c.noff = 1;
	ck_assert_int_eq(walk(&c, locators, "proj/src", &vi), 0);
	ck_assert_ptr_null(strstr(c.deps.data, "pyproject.toml"));
	opts.locators_off = poetry_off;
	opts.n_locators_off = 1;
	ck_assert(!locator_names_match(locators, &opts, "pyproject.toml"));
	ck_assert(locator_names_match(locators, &opts, "Pipfile"));
	/* The in-project .venv: venv_dirs finds it, poetry or not. */
	tmptree_venv(root, "proj/.venv", "");
	ck_assert_int_eq(walk(&c, locators, "proj/src", &vi), 1);
	ck_assert_str_eq(vi.found_as, ".venv");
	ck_assert_str_eq(vi.found_via, ".venv");
	venv_info_free(&vi);
	/* Other locators off leave Poetry's rule, in-project venv included. */
	c.off = others_off;
	c.noff = 3;
	ck_assert_int_eq(walk(&c, locators, "proj/src", &vi), 1);
	ck_assert_str_eq(vi.found_via, "pyproject.toml");
	assert_poetry(&vi, root, "proj/.venv", "proj");
	free(venv);
	free(base);
	ctx_free(&c);
	tmptree_free(root);
}
END_TEST

/* The entries whose appearing matters at a level. */
START_TEST(test_names)
{
	struct resolve_opts opts = { .venv_dirs = default_dirs, .n_venv_dirs = 2 };

	ck_assert_str_eq(locator_poetry.name, "poetry");
	ck_assert(locator_poetry.names(&opts, "pyproject.toml"));
	ck_assert(locator_poetry.names(&opts, "poetry.toml"));
	ck_assert(locator_poetry.names(&opts, ".venv"));
	ck_assert(!locator_poetry.names(&opts, "setup.py"));
}
END_TEST

Suite *
suite_locator_poetry(void)
{
	Suite *s = suite_create("locator_poetry");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_env_name_vectors);
	tcase_add_test(tc, test_env_name_cut_in_characters);
	tcase_add_test(tc, test_env_name_rules);
	tcase_add_test(tc, test_default_store);
	tcase_add_test(tc, test_deps);
	tcase_add_test(tc, test_same_name_two_dirs);
	tcase_add_test(tc, test_spaces_non_ascii_symlink);
	tcase_add_test(tc, test_settings_order);
	tcase_add_test(tc, test_envs_toml_minor);
	tcase_add_test(tc, test_in_project);
	tcase_add_test(tc, test_not_poetry);
	tcase_add_test(tc, test_legacy_name);
	tcase_add_test(tc, test_odd_files);
	tcase_add_test(tc, test_names);
	tcase_add_test(tc, test_turned_off);
	suite_add_tcase(s, tc);
	return s;
}
