/* frame.c: split a byte stream into newline-terminated lines, with a length cap. */
#include "config.h"

#include <string.h>

#include "frame.h"

/* Start with nothing buffered. */
void
frame_init(struct frame *f, size_t max_line)
{
	memset(f, 0, sizeof *f);
	f->max_line = max_line;
}

/* Add received bytes, first dropping the lines already returned. */
void
frame_feed(struct frame *f, const void *data, size_t len)
{
	if (f->start > 0) {
		buf_consume(&f->in, f->start);
		f->scanned -= f->start;
		f->start = 0;
	}
	if (len > 0)
		buf_append(&f->in, data, len);
}

/* Take the next complete line, if any. */
enum frame_result
frame_next(struct frame *f, const char **line, size_t *len)
{
	const char *nl;
	size_t n;

	if (f->scanned < f->start)
		f->scanned = f->start;
	if (f->in.len > f->scanned &&
	    (nl = memchr(f->in.data + f->scanned, '\n', f->in.len - f->scanned)) != NULL) {
		n = (size_t)(nl - (f->in.data + f->start));
		if (n > f->max_line)
			return FRAME_TOO_LONG;
		*line = f->in.data + f->start;
		*len = n;
		f->start += n + 1;
		f->scanned = f->start;
		return FRAME_LINE;
	}
	f->scanned = f->in.len;
	if (f->in.len - f->start > f->max_line)
		return FRAME_TOO_LONG;
	if (f->start > 0 && f->start == f->in.len) {
		buf_reset(&f->in);
		f->start = f->scanned = 0;
	}
	return FRAME_NONE;
}

/* Bytes held that are not yet a whole line. */
size_t
frame_pending(const struct frame *f)
{
	return f->in.len - f->start;
}

/* Release storage. */
void
frame_free(struct frame *f)
{
	buf_free(&f->in);
	memset(f, 0, sizeof *f);
}
