/* request.h: one request line in, one response line out (request.c). */
#ifndef VENVD_DAEMON_REQUEST_H
#define VENVD_DAEMON_REQUEST_H

#include <stddef.h>

#include "buf.h"

struct daemon;
/*
 * Handle one request line and append the response line (with '\n') to
 * out. Appends nothing for a notification. Never fails: errors become
 * JSON-RPC error responses.
 */
void	request_handle(struct daemon *, const char *line, size_t len, struct buf *out);
/*
 * The directory to resolve for an absolute path: path itself, or its
 * parent when path names an existing non-directory. A string to free.
 */
char	*request_dir(const char *path);

#endif
