/*
 * sha256.h: SHA-256 (FIPS 180-4) and base64 (RFC 4648), for the
 * locators that name a venv by a hash of the project's path (Pipenv,
 * Poetry). Pure: no I/O, no allocation.
 */
#ifndef VENVD_SHA256_H
#define VENVD_SHA256_H

#include <stddef.h>
#include <stdint.h>

#define SHA256_DIGEST_LEN	32

/* The 32-byte SHA-256 digest of the len bytes at data, into out. */
void	sha256(const void *data, size_t len, uint8_t out[SHA256_DIGEST_LEN]);

/* Room base64_encode needs for len bytes, with its NUL. */
#define BASE64_ENCODED_SIZE(len)	(((len) + 2) / 3 * 4 + 1)

/*
 * Encode len bytes at data as base64 with '=' padding into out (of
 * outlen bytes, at least BASE64_ENCODED_SIZE(len)): the standard
 * alphabet, or with url_safe the URL and filename safe one ('-' and '_'
 * for '+' and '/', as Python's base64.urlsafe_b64encode). Returns the
 * length, or -1 if out is too small.
 */
int	base64_encode(const void *data, size_t len, int url_safe, char *out,
	    size_t outlen);

#endif
