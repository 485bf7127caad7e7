/*
 * progress.c: one line on standard error that says how long work is
 * going (a scan, sizes being measured, gc deleting), rewritten in place
 * as git's progress is:
 *
 *   - only when standard error is a terminal: piped or redirected, venvd
 *     prints exactly what it always did;
 *   - only once the work has run PROGRESS_DELAY_MS (VENVD_PROGRESS_DELAY_MS
 *     overrides it), so quick work shows nothing;
 *   - redrawn at most every PROGRESS_REDRAW_MS, cut to the terminal's
 *     width so that it never wraps;
 *   - erased (progress_clear) before anything else is printed and at the
 *     end, so the final output is clean.
 *
 * A redraw is '\r', the text and ESC [ K (erase to the end of the line).
 * With TERM=dumb no escape sequence is written: the line is rewritten
 * with '\r' and padded with spaces over what was there. venvd prints no
 * colour anywhere, so NO_COLOR changes nothing here (progress is not
 * colour); it is honoured by there being none.
 */
#include "config.h"

#include <sys/ioctl.h>

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "client.h"
#include "transport.h"
#include "utf8.h"

#define PROGRESS_DELAY_MS	400	/* work quicker than this shows nothing */
#define PROGRESS_REDRAW_MS	100	/* at most ten redraws a second */
#define PROGRESS_DEFAULT_COLS	80

/* The delay before the line appears: VENVD_PROGRESS_DELAY_MS, else the default. */
static long long
progress_delay(void)
{
	const char *s = getenv("VENVD_PROGRESS_DELAY_MS");
	char *end;
	long long v;

	if (s == NULL || *s < '0' || *s > '9')
		return PROGRESS_DELAY_MS;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || *end != '\0' || v > 3600 * 1000)
		return PROGRESS_DELAY_MS;
	return v;
}

/* Is TERM "dumb" (no escape sequences, only '\r')? */
static int
progress_term_dumb(void)
{
	const char *t = getenv("TERM");

	return t != NULL && strcmp(t, "dumb") == 0;
}

/* Start timing work; the line is shown only if stderr is a terminal. */
void
progress_start(struct progress *p)
{
	memset(p, 0, sizeof *p);
	p->on = isatty(STDERR_FILENO);
	p->dumb = progress_term_dumb();
	p->start_ms = now_ms();
	p->delay_ms = progress_delay();
}

/* Would progress be shown for work started now (stderr is a terminal)? */
int
progress_wanted(void)
{
	return isatty(STDERR_FILENO);
}

/* Columns of the terminal on stderr, less one so the line never wraps. */
static size_t
progress_cols(void)
{
	struct winsize ws;

	if (ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 1)
		return (size_t)ws.ws_col - 1;
	return PROGRESS_DEFAULT_COLS - 1;
}

/* Cut text (made printable) to cols characters; its width in *width. */
static void
progress_fit(struct buf *b, const char *text, size_t cols, size_t *width)
{
	size_t off = 0, n, w = 0;

	escape_controls(b, text);
	while (off < b->len && w < cols) {
		if ((n = utf8_char_len(b->data + off, b->len - off)) == 0)
			n = 1;
		off += n;
		w++;
	}
	b->len = off;
	b->data[off] = '\0';
	*width = w;
}

/* Would progress_show draw now? */
int
progress_due(const struct progress *p)
{
	long long now;

	if (!p->on)
		return 0;
	now = now_ms();
	return now - p->start_ms >= p->delay_ms &&
	    (!p->shown || now - p->drawn_ms >= PROGRESS_REDRAW_MS);
}

/*
 * Show the line given by fmt, unless the work is younger than the delay
 * or the line was drawn less than PROGRESS_REDRAW_MS ago.
 */
void
progress_show(struct progress *p, const char *fmt, ...)
{
	struct buf b = BUF_INIT;
	char text[512];
	size_t width, i;
	va_list ap;

	if (!progress_due(p))
		return;
	va_start(ap, fmt);
	vsnprintf(text, sizeof text, fmt, ap);
	va_end(ap);
	progress_fit(&b, text, progress_cols(), &width);
	p->drawn_ms = now_ms();
	/* The same line again: nothing to redraw. */
	if (p->shown && strcmp(b.data, p->text) == 0) {
		buf_free(&b);
		return;
	}
	snprintf(p->text, sizeof p->text, "%s", b.data);
	fputc('\r', stderr);
	fputs(b.data, stderr);
	if (p->dumb) {
		for (i = width; i < p->width; i++)
			fputc(' ', stderr);
	} else
		fputs("\033[K", stderr);
	fflush(stderr);
	p->width = width;
	p->shown = 1;
	buf_free(&b);
}

/* Erase the line if one is shown (before other output, and at the end). */
void
progress_clear(struct progress *p)
{
	size_t i;

	if (!p->on || !p->shown)
		return;
	if (p->dumb) {
		fputc('\r', stderr);
		for (i = 0; i < p->width; i++)
			fputc(' ', stderr);
		fputc('\r', stderr);
	} else
		fputs("\r\033[K", stderr);
	fflush(stderr);
	p->width = 0;
	p->shown = 0;
}
