/* buf.h: a growable byte buffer, always NUL-terminated. */
#ifndef VENVD_BUF_H
#define VENVD_BUF_H

#include <stdarg.h>
#include <stddef.h>

struct buf {
	char	*data;	/* NUL-terminated; NULL until first append */
	size_t	 len;
	size_t	 cap;
};

#define BUF_INIT { NULL, 0, 0 }

/* Append len bytes of s. Aborts on out-of-memory. */
void	buf_append(struct buf *, const void *s, size_t len);
/* Append a NUL-terminated string. */
void	buf_puts(struct buf *, const char *s);
/* Append one byte. */
void	buf_putc(struct buf *, char c);
/* Append printf-formatted text. */
void	buf_printf(struct buf *, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
void	buf_vprintf(struct buf *, const char *fmt, va_list)
	    __attribute__((format(printf, 2, 0)));
/* Drop the first n bytes, keeping the rest. */
void	buf_consume(struct buf *, size_t n);
/* Empty the buffer, keeping its storage. */
void	buf_reset(struct buf *);
/* Release storage. */
void	buf_free(struct buf *);
/* Hand back the string (never NULL) and leave the buffer empty. */
char	*buf_take(struct buf *);

#endif
