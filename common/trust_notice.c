/*
 * trust_notice.c: the words for an answer a shell does not activate.
 */
#include "config.h"

#include <string.h>

#include "protocol.h"
#include "sanitize.h"
#include "trust_notice.h"
#include "trust_rules.h"

/* Append path for a person: home (NULL: none) shown as ~, sanitised. */
void
trust_show_path(struct buf *out, const char *path, const char *home)
{
	size_t n;

	if (home != NULL && home[0] == '/' && home[1] != '\0') {
		n = strlen(home);
		while (n > 1 && home[n - 1] == '/')
			n--;
		if (strncmp(path, home, n) == 0 && (path[n] == '/' || path[n] == '\0')) {
			buf_putc(out, '~');
			path += n;
		}
	}
	sanitize_append(out, path);
}

/* Append the notice for an untrusted venv (nothing otherwise). */
void
trust_notice(struct buf *out, const struct venv_info *vi, const char *home)
{
	char reason[16];

	if (vi->trust == NULL || strncmp(vi->trust, "untrusted:", 10) != 0 ||
	    strcmp(vi->trust, VENVD_TRUST_CHECKING) == 0)
		return;
	buf_puts(out, "venvd: not activating ");
	trust_show_path(out, vi->path, home);
	buf_puts(out, ": ");
	sanitize_append(out, vi->trust + 10);
	/* allow cannot override the hard rule: do not suggest it then. */
	if (trust_rule_hard(vi->path, reason, sizeof reason) == -1) {
		buf_puts(out, " (fix that; venvd allow cannot override it)");
		return;
	}
	buf_puts(out, " (venvd allow ");
	trust_show_path(out, strcmp(vi->found_as, "self") == 0 ? vi->path :
	    vi->project, home);
	buf_puts(out, " to trust it)");
}

/* Append the words for a denied venv (nothing otherwise). */
void
trust_notice_denied(struct buf *out, const struct venv_info *vi,
    const char *home)
{
	if (vi->trust == NULL || strcmp(vi->trust, "denied") != 0)
		return;
	buf_puts(out, "venvd: not activating ");
	trust_show_path(out, vi->path, home);
	buf_puts(out, ": denied (venvd allow ");
	trust_show_path(out, vi->path, home);
	buf_puts(out, " to trust it)");
}

/* Append "venvd: PATH is broken: WHY" for a broken venv (nothing otherwise). */
void
trust_notice_broken(struct buf *out, const struct venv_info *vi)
{
	if (vi->broken == NULL)
		return;
	buf_puts(out, "venvd: ");
	sanitize_append(out, vi->path);
	buf_puts(out, " is broken: ");
	sanitize_append(out, vi->broken);
}
