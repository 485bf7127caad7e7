/*
 * deny_list.h: the list of denied venvs that the daemon keeps next to
 * its index (DENY_LIST_FILE in its state directory) for the client's
 * local fallback, which has no index. Encoded and parsed without I/O.
 *
 * The format is exact (one encoding for one list), so that nothing but
 * what the daemon wrote is accepted:
 *
 *   "venvd denied 1\n"                       the header
 *   "deny DEV INO BORN PATH\0"               one per denied venv
 *   "end COUNT\0"                            the last bytes of the file
 *
 * DEV and INO are unsigned decimals, BORN a signed decimal (the birth
 * time in nanoseconds, 0 where the filesystem keeps none), COUNT the
 * number of deny records, all with no sign but a '-' on BORN and no
 * leading zero. PATH is the venv's real path as the daemon stores it:
 * absolute, any bytes but NUL (newlines, quotes, bytes that are not
 * UTF-8), shorter than PATH_MAX. A file cut short at any byte has no
 * valid trailer and is refused.
 */
#ifndef VENVD_DENY_LIST_H
#define VENVD_DENY_LIST_H

#include <stddef.h>

#include "buf.h"

/* The file's name in the daemon's state directory (next to index.sqlite3). */
#define DENY_LIST_FILE		"denied"
/* Its first bytes. */
#define DENY_LIST_HEADER	"venvd denied 1\n"
/* The largest file the fallback reads (about 2,000 denies of PATH_MAX bytes). */
#define DENY_LIST_MAX		(8 * 1024 * 1024)

/* One denied venv: what the daemon's trust_decisions row holds. */
struct deny_entry {
	char			*path;	/* real path */
	unsigned long long	 dev;
	unsigned long long	 ino;
	long long		 born;	/* ns; 0: unknown */
};

struct deny_list {
	struct deny_entry	*v;
	size_t			 n;
};

#define DENY_LIST_INIT	{ NULL, 0 }

/*
 * Add a copy of path with its identity. -1 (nothing added) when path
 * cannot be encoded: not absolute, or PATH_MAX bytes or longer.
 */
int	deny_list_add(struct deny_list *, const char *path,
	    unsigned long long dev, unsigned long long ino, long long born);
/* Append the encoding of the list to out. */
void	deny_list_encode(const struct deny_list *, struct buf *out);
/*
 * Parse len bytes of text (DENY_LIST_MAX at most). 0 with *out filled
 * (free it with deny_list_free), or -1 with err and *out empty.
 */
int	deny_list_parse(const char *text, size_t len, struct deny_list *out,
	    char *err, size_t errlen);
/*
 * Is the venv with this real path and identity denied? By path, whatever
 * its identity now (a deny holds for the path); or by identity when both
 * birth times are known (the same directory, moved). 1 or 0.
 */
int	deny_list_match(const struct deny_list *, const char *real,
	    unsigned long long dev, unsigned long long ino, long long born);
/* Free the entries and empty the list. */
void	deny_list_free(struct deny_list *);

#endif
