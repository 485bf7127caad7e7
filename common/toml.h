/*
 * toml.h: a small, strict TOML (1.0) reader for the few keys venvd needs
 * from pyproject.toml, poetry.toml, Poetry's config.toml and envs.toml,
 * and .pdm.toml. Pure: text in, values out, no I/O.
 *
 * The whole text is checked: it must be UTF-8 and TOML 1.0 in its
 * lexical structure (comments, newlines, keys, every string form,
 * arrays and inline tables nested up to TOML_MAX_DEPTH), or the reader
 * gives up with -1 and "line N: why", as Poetry itself would refuse the
 * file. Table headers, dotted and quoted keys, basic, literal and
 * multi-line strings (with every escape) and booleans are reported.
 * Numbers, dates and times are checked only for their characters and
 * reported as TOML_OTHER, as arrays are (their contents are read through
 * and reported as nothing); so are the tables of [[arrays of tables]]. Defining a key twice is not detected here;
 * toml_lookup refuses it for the keys it is asked for.
 */
#ifndef VENVD_TOML_H
#define VENVD_TOML_H

#include <stddef.h>

#define TOML_MAX_KEYS	32	/* components of a key path, table included */
#define TOML_MAX_DEPTH	32	/* nesting of arrays and inline tables */

enum toml_type {
	TOML_TABLE,		/* a [header] or an inline table */
	TOML_STRING,
	TOML_BOOL,
	TOML_OTHER,		/* a number, date, time or array: its place, not its value */
};

/* One value as the reader reports it. */
struct toml_value {
	enum toml_type type;
	const char *str;	/* TOML_STRING: UTF-8, len bytes (may hold U+0000), NUL-terminated */
	size_t	 len;
	int	 boolean;	/* TOML_BOOL: 0 or 1 */
};

/* Called for each value at its full key path (keys[0..nkeys-1], each NUL-terminated UTF-8). */
typedef void (*toml_visit_fn)(void *ctx, const char *const *keys, size_t nkeys,
	    const struct toml_value *v);

/*
 * Read text (len bytes) and report each table and value to visit
 * (may be NULL: only check). 0, or -1 with err when the text is
 * not TOML (values reported before the error stand). A key holding
 * U+0000 is refused.
 */
int	toml_parse(const char *text, size_t len, toml_visit_fn visit, void *ctx,
	    char *err, size_t errlen);

/* One key asked of toml_lookup, and what was found there. */
struct toml_want {
	const char *const *keys;	/* the path, as {"tool", "poetry", "name"} */
	size_t	 nkeys;
	enum toml_type type;		/* the type wanted */
	int	 found;			/* out: 1 when a value of that type is there */
	char	*str;			/* out: TOML_STRING, malloc'd */
	int	 boolean;		/* out: TOML_BOOL */
};

/*
 * Look up each want in text. A TOML_TABLE want is found when a table is
 * at its path or any key lies below it ([tool.poetry.dependencies]
 * makes tool.poetry). A string or boolean is found only with that type:
 * a value of any other type leaves found 0. 0, or -1 with err when the
 * text is not TOML, or a wanted string or boolean is set twice or holds
 * U+0000; then nothing is found.
 */
int	toml_lookup(const char *text, size_t len, struct toml_want *wants,
	    size_t n, char *err, size_t errlen);
/* Free the strings toml_lookup found and clear the results. */
void	toml_wants_free(struct toml_want *wants, size_t n);

#endif
