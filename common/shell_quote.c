/* shell_quote.c: quote arbitrary bytes so bash, zsh or fish read them back exactly. */
#include "config.h"

#include <string.h>

#include "shell_quote.h"
#include "utf8.h"

/* A shell's name to its kind. */
enum shell_kind
shell_kind_parse(const char *name)
{
	if (name == NULL)
		return SHELL_NONE;
	if (strcmp(name, "bash") == 0)
		return SHELL_BASH;
	if (strcmp(name, "zsh") == 0)
		return SHELL_ZSH;
	if (strcmp(name, "fish") == 0)
		return SHELL_FISH;
	if (strcmp(name, "json") == 0)
		return SHELL_JSON;
	return SHELL_NONE;
}

/* The name of a kind. */
const char *
shell_kind_name(enum shell_kind kind)
{
	switch (kind) {
	case SHELL_BASH:
		return "bash";
	case SHELL_ZSH:
		return "zsh";
	case SHELL_FISH:
		return "fish";
	case SHELL_JSON:
		return "json";
	default:
		return "none";
	}
}

/* Append s as a quoted JSON string; bytes that are not UTF-8 become U+FFFD. */
static void
quote_json(const char *s, size_t len, struct buf *out)
{
	static const char hex[] = "0123456789abcdef";

	buf_putc(out, '"');
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		size_t k;

		if (c >= 0x80) {
			if ((k = utf8_char_len(s + i, len - i)) == 0)
				buf_puts(out, "\\ufffd");
			else {
				buf_append(out, s + i, k);
				i += k - 1;
			}
		} else if (c == '"' || c == '\\') {
			buf_putc(out, '\\');
			buf_putc(out, (char)c);
		} else if (c == '\n')
			buf_puts(out, "\\n");
		else if (c == '\t')
			buf_puts(out, "\\t");
		else if (c < 0x20 || c == 0x7f) {
			char e[6] = { '\\', 'u', '0', '0', hex[c >> 4], hex[c & 15] };

			buf_append(out, e, sizeof e);
		} else
			buf_putc(out, (char)c);
	}
	buf_putc(out, '"');
}

/* Append s (len bytes) to out as one word the shell reads back exactly. */
void
shell_quote(enum shell_kind kind, const char *s, size_t len, struct buf *out)
{
	if (kind == SHELL_JSON) {
		quote_json(s, len, out);
		return;
	}
	buf_putc(out, '\'');
	for (size_t i = 0; i < len; i++) {
		char c = s[i];

		if (c == '\'') {
			if (kind == SHELL_FISH)
				buf_puts(out, "\\'");
			else
				buf_puts(out, "'\\''");
		} else if (c == '\\' && kind == SHELL_FISH)
			buf_puts(out, "\\\\");
		else
			buf_putc(out, c);
	}
	buf_putc(out, '\'');
}

/* shell_quote for a NUL-terminated string. */
void
shell_quote_str(enum shell_kind kind, const char *s, struct buf *out)
{
	shell_quote(kind, s, strlen(s), out);
}
