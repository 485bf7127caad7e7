/*
 * json_lite.h: a small strict JSON reader and writer for the in-shell
 * hooks (inshell/), which are loaded into shells and so link no JSON
 * library. Pure: no I/O.
 *
 * The reader takes what rpc_loadb() (jansson's json_loadb with the wire's
 * \udcXX byte escapes, JSON_DECODE_ANY) takes and refuses what it
 * refuses: RFC 8259 text in UTF-8; \u0000, a lone surrogate other than
 * \udc80..\udcff (a byte of a path), and a byte escape in an object key
 * are errors; integers beyond long long and reals beyond double are
 * errors; at most JL_MAX_DEPTH values deep. A duplicate key keeps the
 * last value. tests/fuzz/fuzz_json_lite.c checks that it agrees with
 * jansson.
 *
 * The writer writes strings as rpc_dumps() does: a byte that is not part
 * of valid UTF-8 as \udcXX.
 */
#ifndef VENVD_JSON_LITE_H
#define VENVD_JSON_LITE_H

#include <stddef.h>

#include "buf.h"
#include "resolve.h"

#define JL_MAX_DEPTH	2048	/* jansson's JSON_PARSER_MAX_DEPTH */

enum jl_type {
	JL_NULL,
	JL_FALSE,
	JL_TRUE,
	JL_INT,
	JL_REAL,
	JL_STRING,
	JL_ARRAY,
	JL_OBJECT,
};

struct jl_value {
	enum jl_type	 type;
	size_t		 n;	/* string: bytes; array: items; object: members */
	union {
		char		*s;	/* NUL-terminated (may hold NULs: n) */
		long long	 i;
		double		 d;
		struct jl_value	*items;	/* array: n; object: 2n, key then value */
	} u;
};

/* Parse the whole of text into *out (jl_free it); -1 with err. */
int	jl_parse(const char *text, size_t len, struct jl_value *out,
	    char *err, size_t errlen);
/* Free what jl_parse made. */
void	jl_free(struct jl_value *);
/* The value of obj's member key (the last of duplicates), or NULL. */
const struct jl_value *jl_get(const struct jl_value *obj, const char *key);
/* The string v holds, or NULL if v is NULL or not a string. */
const char *jl_str(const struct jl_value *v);

/* Append s (n bytes) as a JSON string, each byte not in UTF-8 as \udcXX. */
void	jl_write_string(struct buf *, const char *s, size_t n);

/*
 * A response line as rpc_parse_response() reads it: 0 with *root (to
 * jl_free) and *result pointing into it, or -1 with err (malformed, or an
 * error response: its message).
 */
int	jl_rpc_result(const char *line, size_t len, struct jl_value *root,
	    const struct jl_value **result, char *err, size_t errlen);
/* The protocol's venv object, as rpc_venv_from_json(); -1 if not one. */
int	jl_venv(const struct jl_value *obj, struct venv_info *out);

#endif
