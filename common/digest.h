/*
 * digest.h: SHA-256 (FIPS 180-4) and URL-safe base64 (RFC 4648 s5),
 * which Poetry and Pipenv use to name the venvs they keep. Pure.
 */
#ifndef VENVD_DIGEST_H
#define VENVD_DIGEST_H

#include <stddef.h>
#include <stdint.h>

#define SHA256_LEN	32

/* The SHA-256 digest of the len bytes at data into out. */
void	sha256(const void *data, size_t len, uint8_t out[SHA256_LEN]);
/*
 * The URL-safe base64 of the len bytes at data, with '=' padding, into
 * out (outlen bytes, NUL-terminated). Returns the length written, or -1
 * when out is too small (it needs 4 * ceil(len / 3) + 1 bytes).
 */
int	base64url_encode(const uint8_t *data, size_t len, char *out,
	    size_t outlen);

#endif
