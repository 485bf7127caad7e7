/* tmptree.c: build throwaway directory trees for tests. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "tmptree.h"
#include "xmalloc.h"

/* root/rel, malloc'd. */
static char *
tmptree_path(const char *root, const char *rel)
{
	char *p;

	xasprintf(&p, "%s/%s", root, rel);
	return p;
}

/* Make a fresh temporary directory; returns its malloc'd path. */
char *
tmptree_new(void)
{
	const char *tmp = getenv("TMPDIR");
	char *tmpl;

	if (tmp == NULL || tmp[0] != '/')
		tmp = "/tmp";
	xasprintf(&tmpl, "%s/venvd-test.XXXXXX", tmp);
	if (mkdtemp(tmpl) == NULL)
		fatal("mkdtemp %s: %s", tmpl, strerror(errno));
	return tmpl;
}

/* nftw callback: make directories searchable again before removal. */
static int
unlock_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	if (flag == FTW_D || flag == FTW_DNR)
		chmod(path, 0700);
	return 0;
}

/* nftw callback: remove one entry (children first). */
static int
remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	if (flag == FTW_DP)
		rmdir(path);
	else
		unlink(path);
	return 0;
}

/* Remove a tree made by tmptree_new (restoring permissions first). */
void
tmptree_free(char *root)
{
	if (root == NULL)
		return;
	/* Pre-order passes until every directory can be read. */
	for (int i = 0; i < 8; i++)
		nftw(root, unlock_entry, 32, FTW_PHYS);
	nftw(root, remove_entry, 32, FTW_PHYS | FTW_DEPTH);
	free(root);
}

/* mkdir -p root/rel. */
void
tmptree_mkdir(const char *root, const char *rel)
{
	char *p = tmptree_path(root, rel);

	for (char *s = p + strlen(root) + 1; ; s++) {
		if (*s == '/' || *s == '\0') {
			char c = *s;

			*s = '\0';
			if (mkdir(p, 0755) == -1 && errno != EEXIST)
				fatal("mkdir %s: %s", p, strerror(errno));
			*s = c;
			if (c == '\0')
				break;
		}
	}
	free(p);
}

/* Create the parent directories of root/rel. */
static void
mkparents(const char *root, const char *rel)
{
	const char *slash = strrchr(rel, '/');
	char *dir;

	if (slash == NULL)
		return;
	dir = xstrndup(rel, (size_t)(slash - rel));
	tmptree_mkdir(root, dir);
	free(dir);
}

/* Write text to root/rel, creating parents. */
void
tmptree_write(const char *root, const char *rel, const char *text)
{
	char *p = tmptree_path(root, rel);
	size_t len = strlen(text);
	int fd;

	mkparents(root, rel);
	fd = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd == -1)
		fatal("open %s: %s", p, strerror(errno));
	if (write(fd, text, len) != (ssize_t)len)
		fatal("write %s: %s", p, strerror(errno));
	close(fd);
	free(p);
}

/* symlink(target, root/rel). */
void
tmptree_symlink(const char *root, const char *rel, const char *target)
{
	char *p = tmptree_path(root, rel);

	mkparents(root, rel);
	if (symlink(target, p) == -1)
		fatal("symlink %s: %s", p, strerror(errno));
	free(p);
}

/* Make root/rel a minimal venv. */
void
tmptree_venv(const char *root, const char *rel, const char *cfg_text)
{
	char *cfg, *py;

	xasprintf(&cfg, "%s/pyvenv.cfg", rel);
	xasprintf(&py, "%s/bin/python", rel);
	tmptree_write(root, cfg, cfg_text);
	tmptree_symlink(root, py, "/usr/bin/python3");
	free(cfg);
	free(py);
}

/* A NULL-terminated "NAME=value" list from name, value pairs ending with a NULL name. */
char **
tmptree_env(const char *name, ...)
{
	va_list ap;
	char **env = NULL;
	size_t n = 0;

	env = xcalloc(1, sizeof *env);
	va_start(ap, name);
	for (; name != NULL; name = va_arg(ap, const char *)) {
		const char *value = va_arg(ap, const char *);

		if (value == NULL)
			continue;
		env = xrealloc(env, (n + 2) * sizeof *env);
		xasprintf(&env[n++], "%s=%s", name, value);
		env[n] = NULL;
	}
	va_end(ap);
	return env;
}

/* Free what tmptree_env made. */
void
tmptree_env_free(char **env)
{
	for (size_t i = 0; env[i] != NULL; i++)
		free(env[i]);
	free(env);
}

/* resolve_opts.dep for a struct tmptree_deps: "KIND path", root shown as "R". */
void
tmptree_dep(void *ctx, const char *dir, enum resolve_dep kind)
{
	struct tmptree_deps *d = ctx;
	size_t n = strlen(d->root);

	if (strncmp(dir, d->root, n) == 0)
		buf_printf(&d->b, "%s R%s\n", resolve_dep_name(kind), dir + n);
	else
		buf_printf(&d->b, "%s %s\n", resolve_dep_name(kind), dir);
}
