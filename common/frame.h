/*
 * frame.h: split a byte stream into newline-terminated lines, with a
 * length cap. Pure: the caller does the reading, so it can be tested
 * and fuzzed alone.
 */
#ifndef VENVD_FRAME_H
#define VENVD_FRAME_H

#include <stddef.h>

#include "buf.h"

struct frame {
	struct buf in;		/* bytes received, not yet returned as lines */
	size_t	 max_line;	/* longest line accepted, excluding '\n' */
	size_t	 scanned;	/* bytes of in already searched for '\n' */
	size_t	 start;		/* bytes of in already returned as lines */
};

enum frame_result {
	FRAME_NONE = 0,		/* no complete line yet */
	FRAME_LINE,		/* line and len hold one line (no '\n'), valid until the next call */
	FRAME_TOO_LONG,		/* the pending line exceeds max_line; the stream cannot be resynced */
};

void	frame_init(struct frame *, size_t max_line);
/* Add received bytes (invalidates the last line returned). */
void	frame_feed(struct frame *, const void *data, size_t len);
/* Take the next complete line, if any. A trailing '\r' is kept. */
enum frame_result frame_next(struct frame *, const char **line, size_t *len);
/* Bytes held that are not yet a whole line. */
size_t	frame_pending(const struct frame *);
void	frame_free(struct frame *);

#endif
