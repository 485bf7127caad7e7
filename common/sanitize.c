/*
 * sanitize.c: the one terminal sanitiser (see sanitize.h for the table).
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "sanitize.h"
#include "utf8.h"

/* What the character at s is. */
enum san_kind {
	SAN_PLAIN,	/* copy as is */
	SAN_BYTE,	/* C0, DEL or an invalid byte: \xNN of the byte (ESC: \e) */
	SAN_C1,		/* U+0080..U+009F: \xNN of the code point */
	SAN_UNICODE,	/* a format control: \uNNNN */
};

/* Is cp a Unicode format control that can reorder or break a line? */
static int
is_format_control(unsigned int cp)
{
	return (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069) ||
	    cp == 0x200e || cp == 0x200f || cp == 0x061c || cp == 0x2028 ||
	    cp == 0x2029;
}

/* Classify the character at s (left bytes remain); its length in *n, code point in *cp. */
static enum san_kind
classify(const char *s, size_t left, size_t *n, unsigned int *cp)
{
	unsigned char c = (unsigned char)s[0];

	*cp = c;
	if ((*n = utf8_char_len(s, left)) == 0) {
		*n = 1;
		return SAN_BYTE;
	}
	if (*n == 1)
		return c < 0x20 || c == 0x7f ? SAN_BYTE : SAN_PLAIN;
	*cp = (unsigned int)utf8_decode(s, *n);
	if (*cp >= 0x80 && *cp <= 0x9f)
		return SAN_C1;
	if (is_format_control(*cp))
		return SAN_UNICODE;
	return SAN_PLAIN;
}

/* Append len bytes of s with every control and invalid byte made visible. */
void
sanitize_append_len(struct buf *out, const char *s, size_t len)
{
	unsigned int cp;
	size_t n;

	buf_puts(out, "");
	for (size_t i = 0; i < len; i += n) {
		switch (classify(s + i, len - i, &n, &cp)) {
		case SAN_PLAIN:
			buf_append(out, s + i, n);
			break;
		case SAN_BYTE:
			if (cp == 0x1b)
				buf_puts(out, "\\e");
			else
				buf_printf(out, "\\x%02x", cp);
			break;
		case SAN_C1:
			buf_printf(out, "\\x%02x", cp);
			break;
		case SAN_UNICODE:
			buf_printf(out, "\\u%04x", cp);
			break;
		}
	}
}

/* Append s with every control, escape and invalid byte made visible. */
void
sanitize_append(struct buf *out, const char *s)
{
	sanitize_append_len(out, s, strlen(s));
}

/* A malloc'd sanitised copy of s. */
char *
sanitize_dup(const char *s)
{
	struct buf b = BUF_INIT;

	sanitize_append(&b, s);
	return buf_take(&b);
}

/*
 * Is c a character some shell's prompt language interprets? "%" (zsh
 * prompt_percent: %F{..}, %{..%} raw output, %(..) conditionals), "!"
 * (zsh prompt_bang, bash's POSIX mode: the history number), "$" and "`"
 * (zsh prompt_subst, bash promptvars: parameter, arithmetic and command
 * expansion) and "\" (bash's \u, \nnn octal bytes, \[; quoting under
 * zsh prompt_subst). Quotes, braces and "~" are shown as they are by all.
 */
static int
is_prompt_special(unsigned int c)
{
	return c == '%' || c == '!' || c == '$' || c == '`' || c == '\\';
}

/* Append s as inert prompt text: see sanitize.h. */
void
sanitize_prompt(struct buf *out, const char *s)
{
	size_t len = strlen(s), n;
	unsigned int cp;

	buf_puts(out, "");
	for (size_t i = 0; i < len; i += n) {
		switch (classify(s + i, len - i, &n, &cp)) {
		case SAN_PLAIN:
			if (n == 1 && is_prompt_special(cp))
				buf_putc(out, '_');
			else
				buf_append(out, s + i, n);
			break;
		case SAN_BYTE:
			if (n == 1 && (cp < 0x20 || cp == 0x7f))
				break;
			buf_puts(out, "\xef\xbf\xbd");	/* U+FFFD */
			break;
		case SAN_C1:
		case SAN_UNICODE:
			break;
		}
	}
}

/* Does s need no change to be shown? */
int
sanitize_is_clean(const char *s)
{
	size_t len = strlen(s), n;
	unsigned int cp;

	for (size_t i = 0; i < len; i += n) {
		if (classify(s + i, len - i, &n, &cp) != SAN_PLAIN)
			return 0;
	}
	return 1;
}

/* utf8_char_len under its older name. */
size_t
sanitize_utf8_len(const char *s, size_t left)
{
	return utf8_char_len(s, left);
}
