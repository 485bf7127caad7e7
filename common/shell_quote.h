/* shell_quote.h: quote arbitrary bytes so bash, zsh or fish read them back exactly. */
#ifndef VENVD_SHELL_QUOTE_H
#define VENVD_SHELL_QUOTE_H

#include "buf.h"

enum shell_kind {
	SHELL_BASH,
	SHELL_ZSH,
	SHELL_FISH,
	SHELL_JSON,	/* not a shell: for "venvd export json" */
	SHELL_NONE = -1,
};

/* "bash", "zsh", "fish" or "json" to its kind; SHELL_NONE if unknown. */
enum shell_kind shell_kind_parse(const char *name);
/* The name of a kind. */
const char *shell_kind_name(enum shell_kind);

/*
 * Append s (len bytes, any bytes except NUL) to out as one word that the
 * shell reads back byte for byte, with nothing expanded: single quotes
 * for bash/zsh ('\'' for a quote), and for fish single quotes with \\
 * and \' escaped. Newlines and non-UTF-8 bytes survive.
 */
void	shell_quote(enum shell_kind, const char *s, size_t len, struct buf *out);
/* shell_quote for a NUL-terminated string. */
void	shell_quote_str(enum shell_kind, const char *s, struct buf *out);

#endif
