/*
 * conf.h: $XDG_CONFIG_HOME/venvd/config, an INI-style file read with
 * libinih. Every key lives in one table (conf_keys) so the man page
 * and the parser can be checked against each other.
 */
#ifndef VENVD_CONF_H
#define VENVD_CONF_H

#include <stddef.h>

#define CONF_MAX_VENV_DIRS	16

enum conf_trust {
	CONF_TRUST_AUTO = 0,	/* the user's own venvs activate; others wait for "venvd allow" */
	CONF_TRUST_ASK,		/* every venv needs "venvd allow" once */
	CONF_TRUST_ALL,		/* only the hard rule (permissions, ownership) applies */
};

/* "auto", "ask" or "all". */
const char *conf_trust_name(enum conf_trust);

/* Seconds the daemon gives git to say whether a venv is committed (1 to 3600). */
#define CONF_GIT_TIMEOUT_S	20
#define CONF_GIT_TIMEOUT_MAX_S	3600

struct conf {
	char	*venv_dirs[CONF_MAX_VENV_DIRS];	/* default ".venv", "venv" */
	size_t	 n_venv_dirs;
	long	 max_watches;		/* default 8192 */
	long	 max_clients;		/* default VENVD_DEFAULT_MAX_CLIENTS */
	char	**roots;		/* discovery roots, absolute ("~/" expanded); default none */
	size_t	 n_roots;
	int	 discover_stores;	/* the tools' stores are roots too (locator_stores); default 1 */
	int	 pip_guard;		/* export PIP_REQUIRE_VIRTUALENV while no venv is active; default 1 */
	enum conf_trust trust;		/* default CONF_TRUST_AUTO */
	long	 git_timeout;		/* seconds a git check may take; default CONF_GIT_TIMEOUT_S */
	char	**locators_off;		/* names of the locators turned off; default none */
	size_t	 n_locators_off;
};

struct conf_key {
	const char *name;
	const char *default_value;	/* as it would be written in the file */
	const char *description;
};

/* The table of every key the parser accepts, ended by a NULL name. */
extern const struct conf_key conf_keys[];

/* Fill cfg with the defaults. */
void	conf_defaults(struct conf *cfg);
/*
 * Parse INI text (keys may sit before any section or under [venvd])
 * over what cfg already holds: call conf_defaults first.
 * Unknown keys and bad values are reported in err (first problem only)
 * and return -1, but every valid key is still applied over the defaults.
 * home expands "~" in roots (NULL: no home, "~" is an error). Parsing
 * does no I/O and reads no environment.
 */
int	conf_parse(const char *text, const char *home, struct conf *cfg,
	    char *err, size_t errlen);
/*
 * Read the config file at path over cfg, as conf_parse (a missing file
 * leaves cfg alone and gives 0). The file must be a regular file of at
 * most 256 KiB with no NUL byte.
 */
int	conf_load(const char *path, const char *home, struct conf *cfg,
	    char *err, size_t errlen);
/* Load from the default location (paths_config_file), "~" from paths_home. */
int	conf_load_default(struct conf *cfg, char *err, size_t errlen);
/* Release what parsing allocated. */
void	conf_free(struct conf *cfg);

#endif
