/*
 * sanitize.h: the one terminal sanitiser. Every path, prompt or
 * pyvenv.cfg value venvd shows to a person passes through here, so that
 * a name holding "\e]0;...\a" or "\e[2J" is shown, not obeyed.
 *
 *   ESC                 -> \e
 *   other C0, DEL       -> \xNN          (\x07, \x7f)
 *   C1 (U+0080..U+009F) -> \xNN          (\x9b: the code point)
 *   bidi controls       -> \uNNNN        (U+202A..U+202E, U+2066..U+2069,
 *                                         U+200E, U+200F, U+061C)
 *   line/para separator -> \uNNNN        (U+2028, U+2029)
 *   invalid UTF-8 byte  -> \xNN          (the byte)
 *
 * Everything else (printable ASCII, backslash, valid UTF-8) is copied.
 */
#ifndef VENVD_SANITIZE_H
#define VENVD_SANITIZE_H

#include <stddef.h>

#include "buf.h"

/* Append s to out with every control, escape and invalid byte made visible. */
void	sanitize_append(struct buf *out, const char *s);
/* The same for len bytes (NULs included, shown as \x00). */
void	sanitize_append_len(struct buf *out, const char *s, size_t len);
/* A malloc'd sanitised copy of s. */
char	*sanitize_dup(const char *s);
/*
 * Append s to out as inert prompt text, for VIRTUAL_ENV_PROMPT and the
 * VENVD_PS1 prefix: printable valid UTF-8 that no shell's prompt
 * language can interpret, whatever prompt options are set now or later
 * (zsh prompt_subst, prompt_percent, prompt_bang; bash promptvars,
 * backslash escapes and POSIX-mode "!"; fish prints it as it is).
 *
 *   controls (C0, DEL, C1, bidi, separators) -> removed
 *   invalid UTF-8 byte                       -> U+FFFD
 *   $ ` \ % !                                -> _
 *
 * Everything else (printable ASCII, valid UTF-8) is copied.
 */
void	sanitize_prompt(struct buf *out, const char *s);
/* Does s need no change to be shown (no control, escape or invalid byte)? */
int	sanitize_is_clean(const char *s);
/* utf8_char_len (utf8.h) under its older name. */
size_t	sanitize_utf8_len(const char *s, size_t left);

#endif
