/*
 * utf8.h: the one UTF-8 decoder (and encoder). A sequence is valid when it is the
 * shortest form of a code point up to U+10FFFF that is not a surrogate
 * (RFC 3629); everything else is invalid, byte by byte.
 */
#ifndef VENVD_UTF8_H
#define VENVD_UTF8_H

#include <stddef.h>

struct buf;

/*
 * Length (1-4) of the valid UTF-8 sequence at p, of which at most left
 * bytes may be read; 0 if left is 0 or the bytes there are not one.
 */
size_t	utf8_char_len(const char *p, size_t left);
/* Is the NUL-terminated s valid UTF-8? */
int	utf8_valid(const char *s);
/* The code point of the valid UTF-8 sequence of n bytes at s (n from utf8_char_len). */
unsigned long utf8_decode(const char *s, size_t n);
/* Append code point cp (up to U+10FFFF) to b as UTF-8. */
void	utf8_put(struct buf *b, unsigned long cp);
/* The value of the 4 hex digits at p (a \uXXXX escape's), or -1. */
long	utf8_hex4(const char *p);

#endif
