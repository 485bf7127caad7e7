/* venv_cfg.h: parse pyvenv.cfg the way CPython's site.py does. No I/O in the parser. */
#ifndef VENVD_VENV_CFG_H
#define VENVD_VENV_CFG_H

#include <stddef.h>

#define VENV_CFG_MAX_SIZE	(64 * 1024)

enum venv_kind {
	VENV_KIND_UNKNOWN = 0,
	VENV_KIND_VENV,		/* python -m venv: has "command" or only home/version */
	VENV_KIND_VIRTUALENV,	/* has "virtualenv" key */
	VENV_KIND_UV,		/* has "uv" key */
};

struct venv_cfg {
	char	*home;			/* NULL if absent */
	char	*version;		/* "version", else "version_info"; NULL if absent */
	char	*prompt;		/* NULL if absent; surrounding quotes removed */
	char	*executable;
	char	*command;
	int	 include_system_site_packages;	/* 1 true, 0 false, -1 absent */
	enum venv_kind kind;
};

/* "venv", "virtualenv", "uv" or "unknown". */
const char *venv_kind_name(enum venv_kind);

/*
 * Parse len bytes of pyvenv.cfg text into cfg (zeroed first). Lines are
 * "key = value"; keys lower-cased and stripped; lines without '=' are
 * ignored; CRLF accepted. Content with NUL bytes, or over
 * VENV_CFG_MAX_SIZE, is refused. Returns 0, or -1 with a reason in err.
 */
int	venv_cfg_parse(const char *text, size_t len, struct venv_cfg *cfg,
	    char *err, size_t errlen);
/* Read and parse the file at path (refusing over VENV_CFG_MAX_SIZE). */
int	venv_cfg_load(const char *path, struct venv_cfg *cfg, char *err, size_t errlen);
/* Free what parse allocated. */
void	venv_cfg_free(struct venv_cfg *);

#endif
