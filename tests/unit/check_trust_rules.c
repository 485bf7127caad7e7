/* check_trust_rules.c: unit tests for the hard rule and the shadow rule. */
#include "config.h"

#include <sys/stat.h>

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "suites.h"
#include "tmptree.h"
#include "trust_rules.h"
#include "xmalloc.h"

/* A venv at root/rel with modes 0755/0755/0644 (whatever the umask). */
static char *
make_venv(const char *root, const char *rel)
{
	char *v, *p;

	tmptree_venv(root, rel, "home = /usr/bin\nversion = 3.11.2\n");
	xasprintf(&v, "%s/%s", root, rel);
	chmod(v, 0755);
	xasprintf(&p, "%s/bin", v);
	chmod(p, 0755);
	free(p);
	xasprintf(&p, "%s/pyvenv.cfg", v);
	chmod(p, 0644);
	free(p);
	return v;
}

/* Chmod root/rel/part to mode. */
static void
set_mode(const char *venv, const char *part, mode_t mode)
{
	char *p;

	xasprintf(&p, "%s%s%s", venv, *part ? "/" : "", part);
	ck_assert_int_eq(chmod(p, mode), 0);
	free(p);
}

/* Make an executable (or not) file in venv/bin. */
static void
put_bin(const char *root, const char *venvrel, const char *name, mode_t mode)
{
	char *rel, *p;

	xasprintf(&rel, "%s/bin/%s", venvrel, name);
	tmptree_write(root, rel, "#!/bin/sh\necho pwned\n");
	xasprintf(&p, "%s/%s", root, rel);
	ck_assert_int_eq(chmod(p, mode), 0);
	free(p);
	free(rel);
}

START_TEST(core_command_list)
{
	const char *const *c;

	for (c = trust_rule_core_commands; c[1] != NULL; c++) {
		ck_assert_msg(strcmp(c[0], c[1]) < 0, "not sorted at %s", c[0]);
		ck_assert_msg(strcasecmp(c[0], c[1]) < 0, "not sorted ignoring case at %s", c[0]);
	}
	ck_assert(trust_rule_core_command("ls"));
	ck_assert(trust_rule_core_command("sudo"));
	ck_assert(trust_rule_core_command("su"));
	ck_assert(trust_rule_core_command("ssh"));
	ck_assert(trust_rule_core_command("git"));
	ck_assert(trust_rule_core_command("sh"));
	ck_assert(trust_rule_core_command("bash"));
	ck_assert(trust_rule_core_command("zsh"));
	ck_assert(trust_rule_core_command("fish"));
	ck_assert(trust_rule_core_command("env"));
	ck_assert(trust_rule_core_command("["));
	ck_assert(!trust_rule_core_command("python"));
	ck_assert(!trust_rule_core_command("python3.11"));
	ck_assert(!trust_rule_core_command("pip3"));
	ck_assert(!trust_rule_core_command("activate.fish"));
	ck_assert(!trust_rule_core_command("deactivate"));
	ck_assert(!trust_rule_core_command("pytest"));
	ck_assert(!trust_rule_core_command(""));
	/* Issue 11, item 5: names people expect, in any case. */
	ck_assert(trust_rule_core_command("LS"));
	ck_assert(trust_rule_core_command("Ls"));
	ck_assert(trust_rule_core_command("SuDo"));
	ck_assert(trust_rule_core_command("docker"));
	ck_assert(trust_rule_core_command("kubectl"));
	ck_assert(trust_rule_core_command("apt"));
	ck_assert(trust_rule_core_command("apt-get"));
	ck_assert(trust_rule_core_command("perl"));
	ck_assert(trust_rule_core_command("ruby"));
	ck_assert(trust_rule_core_command("node"));
	ck_assert(trust_rule_core_command("npm"));
	ck_assert(trust_rule_core_command("npx"));
	/* What pip installs into venvs by design. */
	ck_assert(!trust_rule_core_command("cmake"));
	ck_assert(!trust_rule_core_command("ninja"));
	ck_assert(!trust_rule_core_command("aws"));
	ck_assert(!trust_rule_core_command("Python3"));
	ck_assert(!trust_rule_core_command("docker-compose"));
}
END_TEST

START_TEST(hard_rule)
{
	char *root = tmptree_new(), *v, reason[512];

	v = make_venv(root, ".venv");
	ck_assert_int_eq(trust_rule_hard(v, reason, sizeof reason), 0);

	set_mode(v, "bin", 0757);
	ck_assert_int_eq(trust_rule_hard(v, reason, sizeof reason), -1);
	ck_assert_str_eq(reason, "bin/ is writable by others");
	set_mode(v, "bin", 0755);

	set_mode(v, "pyvenv.cfg", 0666);
	ck_assert_int_eq(trust_rule_hard(v, reason, sizeof reason), -1);
	ck_assert_str_eq(reason, "pyvenv.cfg is writable by group and others");
	set_mode(v, "pyvenv.cfg", 0644);

	set_mode(v, "", 0777);
	ck_assert_int_eq(trust_rule_hard(v, reason, sizeof reason), -1);
	ck_assert_ptr_nonnull(strstr(reason, "the venv directory is writable by"));
	set_mode(v, "", 0755);
	ck_assert_int_eq(trust_rule_hard(v, reason, sizeof reason), 0);

	/* Group write with a group shared with others (not our private group). */
	if (geteuid() == 0) {
		char *bin;

		xasprintf(&bin, "%s/bin", v);
		ck_assert_int_eq(chown(bin, 0, 65534), 0);
		set_mode(v, "bin", 0775);
		ck_assert_int_eq(trust_rule_hard(v, reason, sizeof reason), -1);
		ck_assert_str_eq(reason, "bin/ is writable by group");
		set_mode(v, "bin", 0755);
		/* Owned by another user. */
		ck_assert_int_eq(chown(bin, 65534, 65534), 0);
		ck_assert_int_eq(trust_rule_hard(v, reason, sizeof reason), -1);
		ck_assert_str_eq(reason, "bin/ is owned by uid 65534, not by you or root");
		ck_assert_int_eq(chown(bin, 0, 0), 0);
		free(bin);
	}
	free(v);
	tmptree_free(root);
}
END_TEST

START_TEST(hard_rule_follows_symlinks)
{
	char *root = tmptree_new(), *real, *link, reason[512];

	real = make_venv(root, "elsewhere/venv");
	tmptree_mkdir(root, "proj");
	tmptree_symlink(root, "proj/.venv", real);
	xasprintf(&link, "%s/proj/.venv", root);
	ck_assert_int_eq(trust_rule_hard(link, reason, sizeof reason), 0);
	set_mode(real, "", 0777);
	ck_assert_int_eq(trust_rule_hard(link, reason, sizeof reason), -1);
	set_mode(real, "", 0755);
	/* bin/ itself a symlink to a world-writable directory: its target counts. */
	{
		char *wbin, *bin;

		xasprintf(&wbin, "%s/wbin", root);
		xasprintf(&bin, "%s/bin", real);
		ck_assert_int_eq(rename(bin, wbin), 0);
		ck_assert_int_eq(chmod(wbin, 0777), 0);
		ck_assert_int_eq(symlink(wbin, bin), 0);
		ck_assert_int_eq(trust_rule_hard(link, reason, sizeof reason), -1);
		ck_assert_str_eq(reason, "bin/ is writable by group and others");
		ck_assert_int_eq(unlink(bin), 0);
		free(wbin);
		free(bin);
	}
	/* A missing bin/ cannot be examined. */
	ck_assert_int_eq(trust_rule_hard(link, reason, sizeof reason), -1);
	ck_assert_ptr_nonnull(strstr(reason, "cannot examine bin/"));
	free(real);
	free(link);
	tmptree_free(root);
}
END_TEST

START_TEST(shadow_rule)
{
	char *root = tmptree_new(), *v, reason[512];

	v = make_venv(root, ".venv");
	put_bin(root, ".venv", "python3.11", 0755);
	put_bin(root, ".venv", "pip", 0755);
	put_bin(root, ".venv", "activate", 0644);
	put_bin(root, ".venv", "pytest", 0755);
	ck_assert_int_eq(trust_rule_shadow(v, reason, sizeof reason), 0);
	/* Not executable: harmless. */
	put_bin(root, ".venv", "ls", 0644);
	ck_assert_int_eq(trust_rule_shadow(v, reason, sizeof reason), 0);
	put_bin(root, ".venv", "sudo", 0700);
	ck_assert_int_eq(trust_rule_shadow(v, reason, sizeof reason), 1);
	ck_assert_str_eq(reason, "bin/sudo shadows a system command");
	put_bin(root, ".venv", "ls", 0755);
	ck_assert_int_eq(trust_rule_shadow(v, reason, sizeof reason), 1);
	ck_assert_str_eq(reason, "bin/ls shadows a system command");
	free(v);
	tmptree_free(root);
}
END_TEST

/* Issue 11, item 5: case variants shadow; the names come back sorted. */
START_TEST(shadow_names)
{
	char *root = tmptree_new(), *v, reason[512], **names;
	size_t n;

	v = make_venv(root, ".venv");
	put_bin(root, ".venv", "pytest", 0755);
	ck_assert_int_eq(trust_rule_shadow_names(v, &names, &n, reason, sizeof reason), 0);
	ck_assert_uint_eq(n, 0);
	trust_rule_names_free(names, n);
	put_bin(root, ".venv", "npm", 0755);
	put_bin(root, ".venv", "Ls", 0755);
	put_bin(root, ".venv", "node", 0755);
	put_bin(root, ".venv", "perl", 0644);	/* not executable */
	ck_assert_int_eq(trust_rule_shadow(v, reason, sizeof reason), 1);
	ck_assert_str_eq(reason, "bin/Ls shadows a system command");
	ck_assert_int_eq(trust_rule_shadow_names(v, &names, &n, reason, sizeof reason), 0);
	ck_assert_uint_eq(n, 3);
	ck_assert_str_eq(names[0], "Ls");
	ck_assert_str_eq(names[1], "node");
	ck_assert_str_eq(names[2], "npm");
	trust_rule_names_free(names, n);
	free(v);
	tmptree_free(root);
}
END_TEST

/* Issue 11, item 3: every entry of bin/ and where its links lead. */
START_TEST(hard_rule_bin_entries)
{
	char *root = tmptree_new(), *v, *p, *q, reason[PATH_MAX + 128], want[PATH_MAX + 128];

	v = make_venv(root, ".venv");
	put_bin(root, ".venv", "tool", 0755);
	ck_assert_int_eq(trust_rule_hard(v, reason, sizeof reason), 0);

	/* A world-writable regular file in bin/. */
	set_mode(v, "bin/tool", 0757);
	ck_assert_int_eq(trust_rule_hard(v, reason, sizeof reason), -1);
	ck_assert_str_eq(reason, "bin/tool is writable by others");
	set_mode(v, "bin/tool", 0755);
	ck_assert_int_eq(trust_rule_hard(v, reason, sizeof reason), 0);

	/* A link to a world-writable file. */
	tmptree_write(root, "target", "#!/bin/sh\n");
	xasprintf(&p, "%s/target", root);
	ck_assert_int_eq(chmod(p, 0777), 0);
	tmptree_symlink(root, ".venv/bin/python9", p);
	ck_assert_int_eq(trust_rule_hard(v, reason, sizeof reason), -1);
	ck_assert_str_eq(reason, "bin/python9 links to a file writable by group and others");
	/* Through a second link, relative, inside bin/. */
	ck_assert_int_eq(chmod(p, 0755), 0);
	tmptree_symlink(root, ".venv/bin/python9.1", "python9");
	ck_assert_int_eq(trust_rule_hard(v, reason, sizeof reason), 0);
	ck_assert_int_eq(chmod(p, 0757), 0);
	ck_assert_int_eq(trust_rule_hard(v, reason, sizeof reason), -1);
	ck_assert_ptr_nonnull(strstr(reason, "links to a file writable by others"));
	ck_assert_int_eq(chmod(p, 0755), 0);

	/* A safe file in a directory anyone can write (not sticky). */
	tmptree_write(root, "ww/target", "#!/bin/sh\n");
	xasprintf(&q, "%s/ww", root);
	ck_assert_int_eq(chmod(q, 0777), 0);
	free(p);
	xasprintf(&p, "%s/ww/target", root);
	tmptree_symlink(root, ".venv/bin/wwlink", p);
	ck_assert_int_eq(trust_rule_hard(v, reason, sizeof reason), -1);
	snprintf(want, sizeof want, "bin/wwlink links into %s, which is writable by group and others", q);
	ck_assert_str_eq(reason, want);
	/* Sticky: others cannot replace our file there. */
	ck_assert_int_eq(chmod(q, 01777), 0);
	ck_assert_int_eq(trust_rule_hard(v, reason, sizeof reason), 0);
	/* But a missing file there is anyone's to create. */
	free(p);
	xasprintf(&p, "%s/ww/missing", root);
	tmptree_symlink(root, ".venv/bin/dangling", p);
	ck_assert_int_eq(trust_rule_hard(v, reason, sizeof reason), -1);
	snprintf(want, sizeof want,
	    "bin/dangling links to a missing file in %s, which is writable by group and others", q);
	ck_assert_str_eq(reason, want);
	ck_assert_int_eq(chmod(q, 0755), 0);
	/* A missing file where only we can create it is harmless, and so is a loop. */
	ck_assert_int_eq(trust_rule_hard(v, reason, sizeof reason), 0);
	tmptree_symlink(root, ".venv/bin/loop1", "loop2");
	tmptree_symlink(root, ".venv/bin/loop2", "loop1");
	ck_assert_int_eq(trust_rule_hard(v, reason, sizeof reason), 0);

	if (geteuid() == 0) {
		char *t;

		/* Another user's 0777 file behind bin/python. */
		tmptree_write(root, "other/python", "#!/bin/sh\n");
		xasprintf(&t, "%s/other/python", root);
		ck_assert_int_eq(chmod(t, 0777), 0);
		ck_assert_int_eq(chown(t, 65534, 65534), 0);
		tmptree_symlink(root, ".venv/bin/python8", t);
		ck_assert_int_eq(trust_rule_hard(v, reason, sizeof reason), -1);
		ck_assert_str_eq(reason, "bin/python8 links to a file owned by uid 65534");
		free(t);
		xasprintf(&t, "%s/bin/python8", v);
		ck_assert_int_eq(unlink(t), 0);
		/* A group-writable entry of a shared group; another user's entry. */
		free(t);
		xasprintf(&t, "%s/bin/tool", v);
		ck_assert_int_eq(chown(t, 0, 65534), 0);
		ck_assert_int_eq(chmod(t, 0775), 0);
		ck_assert_int_eq(trust_rule_hard(v, reason, sizeof reason), -1);
		ck_assert_str_eq(reason, "bin/tool is writable by group");
		ck_assert_int_eq(chmod(t, 0755), 0);
		ck_assert_int_eq(chown(t, 65534, 65534), 0);
		ck_assert_int_eq(trust_rule_hard(v, reason, sizeof reason), -1);
		ck_assert_str_eq(reason, "bin/tool is owned by uid 65534, not by you or root");
		ck_assert_int_eq(chown(t, 0, 0), 0);
		ck_assert_int_eq(trust_rule_hard(v, reason, sizeof reason), 0);
		free(t);
	}
	free(p);
	free(q);
	free(v);
	tmptree_free(root);
}
END_TEST

START_TEST(identity)
{
	char *root = tmptree_new(), *v, *link, *real = NULL;
	struct trust_id a, b;

	v = make_venv(root, "a/.venv");
	tmptree_symlink(root, "b", "a");
	xasprintf(&link, "%s/b/.venv", root);
	ck_assert_int_eq(trust_rule_identity(link, &real, &a), 0);
	ck_assert_ptr_nonnull(strstr(real, "/a/.venv"));
	free(real);
	ck_assert_int_eq(trust_rule_identity(v, &real, &b), 0);
	ck_assert(a.dev == b.dev && a.ino == b.ino && a.born == b.born);
	free(real);
	ck_assert_int_eq(trust_rule_identity("/nonexistent/venvd/x", &real, &a), -1);
	free(v);
	free(link);
	tmptree_free(root);
}
END_TEST

/* What the client's fallback asks instead of git: could a repository hold it? */
START_TEST(in_repository)
{
	char *root = tmptree_new(), *real, *v, *p;

	real = realpath(root, NULL);
	ck_assert_ptr_nonnull(real);
	if (trust_rule_in_repository(real)) {
		/* TMPDIR inside a work tree: every answer below is 1. */
		free(real);
		tmptree_free(root);
		return;
	}
	v = make_venv(root, "plain/tools/env");
	free(v);
	xasprintf(&v, "%s/plain/tools/env", real);
	ck_assert_int_eq(trust_rule_in_repository(v), 0);
	/* A .git directory above the venv, or the .git file of a submodule. */
	tmptree_mkdir(root, "plain/.git");
	ck_assert_int_eq(trust_rule_in_repository(v), 1);
	xasprintf(&p, "%s/plain/.git", real);
	ck_assert_int_eq(rmdir(p), 0);
	tmptree_write(root, "plain/tools/.git", "gitdir: ../../elsewhere\n");
	ck_assert_int_eq(trust_rule_in_repository(v), 1);
	free(p);
	xasprintf(&p, "%s/plain/tools/.git", real);
	ck_assert_int_eq(unlink(p), 0);
	free(p);
	/* A dangling .git symlink counts: git would be asked. */
	tmptree_symlink(root, "plain/tools/env/.git", "nowhere");
	ck_assert_int_eq(trust_rule_in_repository(v), 1);
	xasprintf(&p, "%s/plain/tools/env/.git", real);
	ck_assert_int_eq(unlink(p), 0);
	free(p);
	/* The venv looking like a bare repository: HEAD alone is not enough. */
	tmptree_write(root, "plain/tools/env/HEAD", "ref: refs/heads/main\n");
	ck_assert_int_eq(trust_rule_in_repository(v), 0);
	tmptree_mkdir(root, "plain/tools/env/objects");
	tmptree_mkdir(root, "plain/tools/env/refs");
	ck_assert_int_eq(trust_rule_in_repository(v), 1);
	/* A relative or overlong path cannot be told: yes. */
	ck_assert_int_eq(trust_rule_in_repository("plain/tools/env"), 1);
	p = xmalloc(PATH_MAX + 2);
	memset(p, 'a', PATH_MAX + 1);
	p[0] = '/';
	p[PATH_MAX + 1] = '\0';
	ck_assert_int_eq(trust_rule_in_repository(p), 1);
	free(p);
	free(v);
	free(real);
	tmptree_free(root);
}
END_TEST

/* The trust suite. */
Suite *
suite_trust(void)
{
	Suite *s = suite_create("trust");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, core_command_list);
	tcase_add_test(tc, hard_rule);
	tcase_add_test(tc, hard_rule_follows_symlinks);
	tcase_add_test(tc, shadow_rule);
	tcase_add_test(tc, shadow_names);
	tcase_add_test(tc, hard_rule_bin_entries);
	tcase_add_test(tc, identity);
	tcase_add_test(tc, in_repository);
	suite_add_tcase(s, tc);
	return s;
}
