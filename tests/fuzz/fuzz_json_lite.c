/*
 * fuzz_json_lite.c: libFuzzer harness for common/json_lite.c, the JSON
 * reader and writer of the in-shell hooks, against jansson (rpc.c), which
 * the daemon and the venvd command use.
 *
 * Properties, for any input:
 *   - jl_parse accepts it exactly when rpc_loadb (JSON_DECODE_ANY) does,
 *     but for a raw NUL byte, which JSON text never holds: jl_parse
 *     refuses it always, jansson passes over one right after a number or
 *     a literal ("8\0"); when both accept, the trees are equal: same types, integers, reals, string
 *     bytes (\udcXX byte escapes included), array items, object members
 *     (the last of duplicate keys);
 *   - as a response line: jl_rpc_result succeeds exactly when
 *     rpc_parse_response does (NUL as above), with equal results; a result's "venv"
 *     object reads the same with jl_venv and rpc_venv_from_json;
 *   - as bytes (without NUL): jl_write_string writes a JSON string that
 *     rpc_loadb reads back to the same bytes.
 */
#include "config.h"

#include <string.h>

#include "buf.h"
#include "fuzz.h"
#include "json_lite.h"
#include "resolve.h"
#include "rpc.h"

/* Do j (jansson) and v (json_lite) hold the same value? */
static int
same(json_t *j, const struct jl_value *v)
{
	const char *key;
	json_t *m;
	size_t distinct = 0;

	switch (v->type) {
	case JL_NULL:
		return json_is_null(j);
	case JL_FALSE:
		return json_is_false(j);
	case JL_TRUE:
		return json_is_true(j);
	case JL_INT:
		return json_is_integer(j) && json_integer_value(j) == v->u.i;
	case JL_REAL:
		return json_is_real(j) && json_real_value(j) == v->u.d;
	case JL_STRING:
		return json_is_string(j) && json_string_length(j) == v->n &&
		    memcmp(json_string_value(j), v->u.s, v->n) == 0;
	case JL_ARRAY:
		if (!json_is_array(j) || json_array_size(j) != v->n)
			return 0;
		for (size_t i = 0; i < v->n; i++)
			if (!same(json_array_get(j, i), &v->u.items[i]))
				return 0;
		return 1;
	case JL_OBJECT:
		if (!json_is_object(j))
			return 0;
		for (size_t i = 0; i < v->n; i++) {
			const struct jl_value *k = &v->u.items[2 * i];

			if (jl_get(v, k->u.s) == &v->u.items[2 * i + 1])
				distinct++;
		}
		if (json_object_size(j) != distinct)
			return 0;
		json_object_foreach(j, key, m) {
			const struct jl_value *w = jl_get(v, key);

			if (w == NULL || !same(m, w))
				return 0;
		}
		return 1;
	}
	return 0;
}

/* Are two optional strings equal? */
static int
same_str(const char *a, const char *b)
{
	return (a == NULL && b == NULL) ||
	    (a != NULL && b != NULL && strcmp(a, b) == 0);
}

/* Do the two readings of a venv object agree? */
static void
check_venv(json_t *j, const struct jl_value *v)
{
	struct venv_info a, b;
	int ra, rb;

	ra = rpc_venv_from_json(j, &a);
	rb = jl_venv(v, &b);
	FUZZ_ASSERT(ra == rb);
	if (ra == -1)
		return;
	FUZZ_ASSERT(same_str(a.path, b.path));
	FUZZ_ASSERT(same_str(a.project, b.project));
	FUZZ_ASSERT(same_str(a.python, b.python));
	FUZZ_ASSERT(same_str(a.prompt, b.prompt));
	FUZZ_ASSERT(same_str(a.found_as, b.found_as));
	FUZZ_ASSERT(same_str(a.found_via, b.found_via));
	FUZZ_ASSERT(same_str(a.version, b.version));
	FUZZ_ASSERT(same_str(a.home, b.home));
	FUZZ_ASSERT(same_str(a.broken, b.broken));
	FUZZ_ASSERT(same_str(a.trust, b.trust));
	FUZZ_ASSERT(a.kind == b.kind);
	FUZZ_ASSERT(a.include_system_site_packages ==
	    b.include_system_site_packages);
	venv_info_free(&a);
	venv_info_free(&b);
}

/* One input. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data;
	const struct jl_value *res;
	struct jl_value v, root;
	struct buf b = BUF_INIT;
	json_error_t jerr;
	json_t *j, *jres;
	char err[256];
	int code, ra, rb, nul = memchr(data, '\0', size) != NULL;

	/* The value. */
	j = rpc_loadb(text, size, JSON_DECODE_ANY, &jerr);
	rb = jl_parse(text, size, &v, err, sizeof err);
	FUZZ_ASSERT(nul ? rb == -1 : (j != NULL) == (rb == 0));
	if (j != NULL && rb == 0) {
		FUZZ_ASSERT(same(j, &v));
		jl_free(&v);
	}
	json_decref(j);

	/* The response line. */
	ra = rpc_parse_response(text, size, &jres, &code, err, sizeof err);
	rb = jl_rpc_result(text, size, &root, &res, err, sizeof err);
	FUZZ_ASSERT(nul ? rb == -1 : ra == rb);
	if (ra == 0 && rb == 0) {
		FUZZ_ASSERT(same(jres, res));
		if (json_object_get(jres, "venv") != NULL)
			check_venv(json_object_get(jres, "venv"),
			    jl_get(res, "venv"));
		jl_free(&root);
	}
	json_decref(jres);

	/* The writer. */
	if (!nul) {
		jl_write_string(&b, text, size);
		j = rpc_loadb(b.data, b.len, JSON_DECODE_ANY, &jerr);
		FUZZ_ASSERT(json_is_string(j));
		FUZZ_ASSERT(json_string_length(j) == size &&
		    memcmp(json_string_value(j), data, size) == 0);
		json_decref(j);
		buf_free(&b);
	}
	return 0;
}
