/* utf8.c: the one UTF-8 decoder (see utf8.h). */
#include "config.h"

#include <string.h>

#include "utf8.h"

/* Length of the valid UTF-8 sequence at p (of at most left bytes), or 0. */
size_t
utf8_char_len(const char *p, size_t left)
{
	const unsigned char *s = (const unsigned char *)p;
	unsigned int cp;
	size_t need;

	if (left == 0)
		return 0;
	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		need = 2;
		cp = s[0] & 0x1f;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		need = 3;
		cp = s[0] & 0x0f;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		need = 4;
		cp = s[0] & 0x07;
	} else
		return 0;
	if (left < need)
		return 0;
	for (size_t i = 1; i < need; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if ((need == 3 && cp < 0x800) || (need == 4 && cp < 0x10000) ||
	    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return need;
}

/* Is the NUL-terminated s valid UTF-8? */
int
utf8_valid(const char *s)
{
	size_t left = strlen(s), n;

	for (; left > 0; s += n, left -= n) {
		if ((n = utf8_char_len(s, left)) == 0)
			return 0;
	}
	return 1;
}
