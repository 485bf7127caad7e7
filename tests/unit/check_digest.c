/* check_digest.c: SHA-256 and URL-safe base64 (common/digest.c) against published vectors. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "digest.h"
#include "suites.h"

/* The hex SHA-256 of the len bytes at data, into hex (65 bytes). */
static void
sha256_hex(const void *data, size_t len, char *hex)
{
	uint8_t d[SHA256_LEN];

	sha256(data, len, d);
	for (size_t i = 0; i < SHA256_LEN; i++)
		snprintf(hex + 2 * i, 3, "%02x", d[i]);
}

/* FIPS 180-4 / NIST CAVS examples. */
START_TEST(test_sha256_fips)
{
	char hex[65], *million;

	sha256_hex("", 0, hex);
	ck_assert_str_eq(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	sha256_hex("abc", 3, hex);
	ck_assert_str_eq(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	sha256_hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", 56, hex);
	ck_assert_str_eq(hex, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
	million = malloc(1000000);
	ck_assert_ptr_nonnull(million);
	memset(million, 'a', 1000000);
	sha256_hex(million, 1000000, hex);
	ck_assert_str_eq(hex, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
	free(million);
}
END_TEST

/* Lengths around the 55/56 and 64-byte padding edges (Python's hashlib gave the digests). */
START_TEST(test_sha256_padding_edges)
{
	static const struct { size_t n; const char *hex; } v[] = {
		{ 55, "9f4390f8d30c2dd92ec9f095b65e2b9ae9b0a925a5258e241c9f1e910f734318" },
		{ 56, "b35439a4ac6f0948b6d6f9e3c6af0f5f590ce20f1bde7090ef7970686ec6738a" },
		{ 63, "7d3e74a05d7db15bce4ad9ec0658ea98e3f06eeecf16b4c6fff2da457ddc2f34" },
		{ 64, "ffe054fe7ae0cb6dc65c3af9b61d5209f439851db43d0ba5997337df154668eb" },
		{ 65, "635361c48bb9eab14198e76ea8ab7f1a41685d6ad62aa9146d301d4f17eb0ae0" },
		{ 119, "31eba51c313a5c08226adf18d4a359cfdfd8d2e816b13f4af952f7ea6584dcfb" },
		{ 120, "2f3d335432c70b580af0e8e1b3674a7c020d683aa5f73aaaedfdc55af904c21c" },
	};
	char a[128], hex[65];

	memset(a, 'a', sizeof a);
	for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
		sha256_hex(a, v[i].n, hex);
		ck_assert_msg(strcmp(hex, v[i].hex) == 0, "%zu bytes: %s", v[i].n, hex);
	}
}
END_TEST

/* RFC 4648 section 10, and the two characters where URL-safe differs. */
START_TEST(test_base64url)
{
	static const char *const in[] = { "", "f", "fo", "foo", "foob", "fooba", "foobar" };
	static const char *const out[] = {
		"", "Zg==", "Zm8=", "Zm9v", "Zm9vYg==", "Zm9vYmE=", "Zm9vYmFy"
	};
	static const uint8_t odd[] = { 0xfb, 0xff, 0xbf };
	char b[16];

	for (size_t i = 0; i < 7; i++) {
		ck_assert_int_eq(base64url_encode((const uint8_t *)in[i], strlen(in[i]),
		    b, sizeof b), (int)strlen(out[i]));
		ck_assert_str_eq(b, out[i]);
	}
	ck_assert_int_eq(base64url_encode(odd, 3, b, sizeof b), 4);
	ck_assert_str_eq(b, "-_-_");
	ck_assert_int_eq(base64url_encode(odd, 2, b, sizeof b), 4);
	ck_assert_str_eq(b, "-_8=");
	/* The terminating NUL must fit too. */
	ck_assert_int_eq(base64url_encode((const uint8_t *)"foo", 3, b, 4), -1);
	ck_assert_int_eq(base64url_encode((const uint8_t *)"foo", 3, b, 5), 4);
}
END_TEST

Suite *
suite_digest(void)
{
	Suite *s = suite_create("digest");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_sha256_fips);
	tcase_add_test(tc, test_sha256_padding_edges);
	tcase_add_test(tc, test_base64url);
	suite_add_tcase(s, tc);
	return s;
}
