/*
 * trust_notice.h: the text a shell shows for an answer it does not
 * activate (untrusted, broken) and for the daemon's notices. Shared by
 * venvd export and the in-shell hooks, so every path says the same.
 */
#ifndef VENVD_TRUST_NOTICE_H
#define VENVD_TRUST_NOTICE_H

#include "buf.h"
#include "resolve.h"

/* Append path for a person: home (NULL: none) shown as ~, sanitised. */
void	trust_show_path(struct buf *out, const char *path, const char *home);
/* Append the notice for an untrusted venv (nothing otherwise). */
void	trust_notice(struct buf *out, const struct venv_info *vi,
	    const char *home);
/*
 * Append "venvd: not activating PATH: denied (venvd allow PATH to trust
 * it)" for a denied venv (nothing otherwise): what venvd exec says; the
 * hooks stay silent about a deny.
 */
void	trust_notice_denied(struct buf *out, const struct venv_info *vi,
	    const char *home);
/* Append "venvd: PATH is broken: WHY" for a broken venv (nothing otherwise). */
void	trust_notice_broken(struct buf *out, const struct venv_info *vi);

#endif
