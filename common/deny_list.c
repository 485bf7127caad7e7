/* deny_list.c: the daemon's list of denied venvs for the local fallback (pure). */
#include "config.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "deny_list.h"
#include "xmalloc.h"

/* Can path go in the list (absolute, shorter than PATH_MAX)? */
static int
deny_path_ok(const char *path, size_t len)
{
	return len > 0 && len < PATH_MAX && path[0] == '/';
}

/* Add a copy of path with its identity; -1 when path cannot be encoded. */
int
deny_list_add(struct deny_list *l, const char *path, unsigned long long dev,
    unsigned long long ino, long long born)
{
	struct deny_entry *e;

	if (!deny_path_ok(path, strlen(path)))
		return -1;
	l->v = xrealloc(l->v, (l->n + 1) * sizeof *l->v);
	e = &l->v[l->n++];
	e->path = xstrdup(path);
	e->dev = dev;
	e->ino = ino;
	e->born = born;
	return 0;
}

/* Append the list's encoding to out. */
void
deny_list_encode(const struct deny_list *l, struct buf *out)
{
	size_t i;

	buf_puts(out, DENY_LIST_HEADER);
	for (i = 0; i < l->n; i++) {
		buf_printf(out, "deny %llu %llu %lld ", l->v[i].dev, l->v[i].ino,
		    l->v[i].born);
		buf_append(out, l->v[i].path, strlen(l->v[i].path) + 1);
	}
	buf_printf(out, "end %zu", l->n);
	buf_putc(out, '\0');
}

/*
 * Read a decimal at *p (before end) up to the byte stop, which it
 * consumes: digits only, no leading zero, at most max. 0 with *v, or -1.
 */
static int
deny_number(const char **p, const char *end, char stop,
    unsigned long long max, unsigned long long *v)
{
	const char *s = *p;
	unsigned long long n = 0;
	unsigned d;

	if (s >= end || *s < '0' || *s > '9')
		return -1;
	if (*s == '0' && s + 1 < end && s[1] >= '0' && s[1] <= '9')
		return -1;
	while (s < end && *s >= '0' && *s <= '9') {
		d = (unsigned)(*s - '0');
		if (n > (max - d) / 10)
			return -1;
		n = n * 10 + d;
		s++;
	}
	if (s >= end || *s != stop)
		return -1;
	*p = s + 1;
	*v = n;
	return 0;
}

/* A signed decimal up to stop, as deny_number; "-0" is refused. */
static int
deny_signed(const char **p, const char *end, char stop, long long *v)
{
	unsigned long long n;
	const char *s = *p;

	if (s < end && *s == '-') {
		s++;
		if (deny_number(&s, end, stop, (unsigned long long)LLONG_MAX + 1,
		    &n) == -1 || n == 0)
			return -1;
		*v = n == (unsigned long long)LLONG_MAX + 1 ? LLONG_MIN :
		    -(long long)n;
	} else {
		if (deny_number(&s, end, stop, LLONG_MAX, &n) == -1)
			return -1;
		*v = (long long)n;
	}
	*p = s;
	return 0;
}

/* Does the text at p (before end) begin with the string word? */
static int
deny_starts(const char *p, const char *end, const char *word)
{
	size_t n = strlen(word);

	return (size_t)(end - p) >= n && memcmp(p, word, n) == 0;
}

/* Parse the list; 0, or -1 with err. */
int
deny_list_parse(const char *text, size_t len, struct deny_list *out,
    char *err, size_t errlen)
{
	const char *p = text, *end = text + len, *nul;
	unsigned long long dev, ino, count;
	long long born;
	size_t hl = strlen(DENY_LIST_HEADER);

	out->v = NULL;
	out->n = 0;
	if (len > DENY_LIST_MAX) {
		snprintf(err, errlen, "larger than %d bytes", DENY_LIST_MAX);
		return -1;
	}
	if (len < hl || memcmp(text, DENY_LIST_HEADER, hl) != 0) {
		snprintf(err, errlen, "not a list of denied venvs (no header)");
		return -1;
	}
	p += hl;
	for (;;) {
		if (deny_starts(p, end, "end ")) {
			p += 4;
			if (deny_number(&p, end, '\0', ULLONG_MAX, &count) == -1 ||
			    p != end) {
				snprintf(err, errlen, "a bad end record");
				goto bad;
			}
			if (count != out->n) {
				snprintf(err, errlen, "%zu records where the end "
				    "record counts %llu", out->n, count);
				goto bad;
			}
			return 0;
		}
		if (!deny_starts(p, end, "deny ")) {
			snprintf(err, errlen, p == end ? "cut short (no end "
			    "record)" : "a bad record after %zu", out->n);
			goto bad;
		}
		p += 5;
		if (deny_number(&p, end, ' ', ULLONG_MAX, &dev) == -1 ||
		    deny_number(&p, end, ' ', ULLONG_MAX, &ino) == -1 ||
		    deny_signed(&p, end, ' ', &born) == -1) {
			snprintf(err, errlen, "a bad identity in record %zu",
			    out->n + 1);
			goto bad;
		}
		if ((nul = memchr(p, '\0', (size_t)(end - p))) == NULL) {
			snprintf(err, errlen, "cut short in record %zu", out->n + 1);
			goto bad;
		}
		if (!deny_path_ok(p, (size_t)(nul - p)) ||
		    deny_list_add(out, p, dev, ino, born) == -1) {
			snprintf(err, errlen, "a bad path in record %zu", out->n + 1);
			goto bad;
		}
		p = nul + 1;
	}
bad:
	deny_list_free(out);
	return -1;
}

/* Is the venv at real (with this identity) denied? */
int
deny_list_match(const struct deny_list *l, const char *real,
    unsigned long long dev, unsigned long long ino, long long born)
{
	size_t i;

	for (i = 0; i < l->n; i++) {
		if (strcmp(l->v[i].path, real) == 0)
			return 1;
		if (born != 0 && l->v[i].born == born && l->v[i].dev == dev &&
		    l->v[i].ino == ino)
			return 1;
	}
	return 0;
}

/* Free the entries. */
void
deny_list_free(struct deny_list *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		free(l->v[i].path);
	free(l->v);
	l->v = NULL;
	l->n = 0;
}
