/* check_sha256.c: SHA-256 and base64 against the standards' test vectors. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sha256.h"
#include "suites.h"

/* The digest of len bytes at data, in lowercase hex, into hex (65 bytes). */
static void
digest_hex(const void *data, size_t len, char hex[65])
{
	uint8_t d[SHA256_DIGEST_LEN];

	sha256(data, len, d);
	for (int i = 0; i < SHA256_DIGEST_LEN; i++)
		snprintf(hex + 2 * i, 3, "%02x", d[i]);
}

/* The digest of the NUL-terminated s in hex equals want. */
static void
check_digest(const char *s, const char *want)
{
	char hex[65];

	digest_hex(s, strlen(s), hex);
	ck_assert_str_eq(hex, want);
}

/* FIPS 180-4 examples (NIST CSRC "SHA256.pdf", "SHA256_2.pdf"). */
START_TEST(fips_vectors)
{
	check_digest("",
	    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	check_digest("abc",
	    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	check_digest("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
	    "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
	check_digest("abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmn"
	    "hijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu",
	    "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1");
}
END_TEST

/* Lengths around the padding boundaries (55, 56, 63, 64, 119, 120), and a million 'a's. */
START_TEST(block_boundaries)
{
	static const struct {
		size_t n;
		const char *hex;
	} v[] = {
		{ 55, "9f4390f8d30c2dd92ec9f095b65e2b9ae9b0a925a5258e241c9f1e910f734318" },
		{ 56, "b35439a4ac6f0948b6d6f9e3c6af0f5f590ce20f1bde7090ef7970686ec6738a" },
		{ 63, "7d3e74a05d7db15bce4ad9ec0658ea98e3f06eeecf16b4c6fff2da457ddc2f34" },
		{ 64, "ffe054fe7ae0cb6dc65c3af9b61d5209f439851db43d0ba5997337df154668eb" },
		{ 119, "31eba51c313a5c08226adf18d4a359cfdfd8d2e816b13f4af952f7ea6584dcfb" },
		{ 120, "2f3d335432c70b580af0e8e1b3674a7c020d683aa5f73aaaedfdc55af904c21c" },
		{ 1000000, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0" },
	};
	char hex[65], *buf = malloc(1000000);

	ck_assert_ptr_nonnull(buf);
	memset(buf, 'a', 1000000);
	for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
		digest_hex(buf, v[i].n, hex);
		ck_assert_msg(strcmp(hex, v[i].hex) == 0, "%zu a's: %s", v[i].n, hex);
	}
	free(buf);
}
END_TEST

/* The base64 of the NUL-terminated s (url_safe or not) equals want. */
static void
check_b64(const void *data, size_t len, int url_safe, const char *want)
{
	char out[64];

	ck_assert_int_eq(base64_encode(data, len, url_safe, out, sizeof out),
	    (int)strlen(want));
	ck_assert_str_eq(out, want);
}

/* RFC 4648 section 10, and the two alphabets' last characters. */
START_TEST(base64_vectors)
{
	char small[4];

	check_b64("", 0, 0, "");
	check_b64("f", 1, 0, "Zg==");
	check_b64("fo", 2, 0, "Zm8=");
	check_b64("foo", 3, 0, "Zm9v");
	check_b64("foob", 4, 0, "Zm9vYg==");
	check_b64("fooba", 5, 1, "Zm9vYmE=");
	check_b64("foobar", 6, 1, "Zm9vYmFy");
	check_b64("\xfb\xff", 2, 0, "+/8=");
	check_b64("\xfb\xff", 2, 1, "-_8=");
	/* Too small for "Zm9v" and its NUL. */
	ck_assert_int_eq(base64_encode("foo", 3, 0, small, sizeof small), -1);
}
END_TEST

Suite *
suite_sha256(void)
{
	Suite *s = suite_create("sha256");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, fips_vectors);
	tcase_add_test(tc, block_boundaries);
	tcase_add_test(tc, base64_vectors);
	suite_add_tcase(s, tc);
	return s;
}
