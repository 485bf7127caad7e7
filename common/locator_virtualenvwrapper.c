/*
 * locator_virtualenvwrapper.c: a venv in virtualenvwrapper's store
 * ($WORKON_HOME, else ~/.virtualenvs) whose .project file names the
 * level L (mkproject, setvirtualenvproject), found as
 * "virtualenvwrapper". It applies to L and below.
 *
 * This is a back-reference: the project holds nothing that points at
 * the venv. So the store is read once per walk, on the first level
 * asked (locator_memo): each entry's .project, one line with one
 * trailing newline stripped, naming an absolute directory, is stat'd
 * and kept as (device, inode). Each level then costs one stat of L and
 * a look through that list. Matching by inode finds the project
 * however .project spells it (virtualenvwrapper writes the logical
 * path it was given, Pipenv, which keeps .project too, the realpath).
 * When two venvs name one directory, the first by name wins.
 *
 * Cost: a walk that reaches this locator reads the store's entries and
 * up to VWRAP_MAX_VENVS .project files, and its answer depends on the
 * store (RESOLVE_DEP_DIR), each venv directory in it (RESOLVE_DEP_DIR:
 * a .project appearing or renamed into place) and each .project
 * (RESOLVE_DEP_FILE: rewritten in place). In the daemon those watches
 * are shared by every answer, so the store costs 2n + 1 watches in all,
 * and a change there drops every cached answer once. A store that does
 * not exist is RESOLVE_DEP_ABSENT: only its appearing matters.
 */
#include "config.h"

#include <sys/stat.h>

#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "locator.h"
#include "small_file.h"
#include "xmalloc.h"

/* How many entries of the store are looked at; the rest are ignored. */
#define VWRAP_MAX_VENVS		4096
/* A .project longer than this is not a path. */
#define VWRAP_PROJECT_MAX	(PATH_MAX + 1)

/* A venv of the store whose .project names a directory. */
struct vwrap_venv {
	char	*path;		/* <store>/<entry> */
	char	*project_file;	/* <path>/.project */
	dev_t	 dev;		/* the project directory's */
	ino_t	 ino;
};

/* The store as read once per walk. */
struct vwrap_store {
	struct vwrap_venv *v;
	size_t		 n;
};

/* Free a vwrap_store (locator_memo's freefn). */
static void
vwrap_store_free(void *p)
{
	struct vwrap_store *s = p;

	for (size_t i = 0; i < s->n; i++) {
		free(s->v[i].path);
		free(s->v[i].project_file);
	}
	free(s->v);
	free(s);
}

/* Order entry names with strcmp, for qsort. */
static int
vwrap_cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/*
 * The directory a .project's text names, stat'd into st: 0, or -1 if
 * it names none (empty, relative, holding a NUL or a second line).
 */
static int
vwrap_project_stat(char *text, size_t len, struct stat *st)
{
	if (len > 0 && text[len - 1] == '\n')
		text[--len] = '\0';
	if (len == 0 || text[0] != '/' || strlen(text) != len ||
	    strchr(text, '\n') != NULL)
		return -1;
	if (stat(text, st) == -1 || !S_ISDIR(st->st_mode))
		return -1;
	return 0;
}

/* Read the store: every venv directory in it whose .project names a directory. */
static struct vwrap_store *
vwrap_store_read(struct locator_walk *w, const char *store)
{
	struct vwrap_store *s = xcalloc(1, sizeof *s);
	char **names = NULL, path[PATH_MAX + 1], proj[PATH_MAX + 1], *text;
	size_t nnames = 0, len;
	struct dirent *de;
	struct stat st;
	DIR *dp;
	int n;

	if ((dp = opendir(store)) == NULL) {
		locator_dep_absent(w, store);
		return s;
	}
	locator_dep(w, store, RESOLVE_DEP_DIR);
	while ((de = readdir(dp)) != NULL && nnames < VWRAP_MAX_VENVS) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		names = xrealloc(names, (nnames + 1) * sizeof *names);
		names[nnames++] = xstrdup(de->d_name);
	}
	closedir(dp);
	if (nnames > 1)
		qsort(names, nnames, sizeof *names, vwrap_cmp_names);
	for (size_t i = 0; i < nnames; i++) {
		n = snprintf(path, sizeof path, "%s/%s", store, names[i]);
		if (n < 0 || (size_t)n >= sizeof path || !locator_is_dir(w, path))
			continue;
		/* .project appearing, or renamed into place. */
		locator_dep(w, path, RESOLVE_DEP_DIR);
		n = snprintf(proj, sizeof proj, "%s/.project", path);
		if (n < 0 || (size_t)n >= sizeof proj || !locator_is_file(w, proj))
			continue;
		locator_dep(w, proj, RESOLVE_DEP_FILE);
		if (small_file_read(proj, VWRAP_PROJECT_MAX, &text, &len) !=
		    SMALL_FILE_OK)
			continue;
		if (vwrap_project_stat(text, len, &st) == 0) {
			s->v = xrealloc(s->v, (s->n + 1) * sizeof *s->v);
			s->v[s->n].path = xstrdup(path);
			s->v[s->n].project_file = xstrdup(proj);
			s->v[s->n].dev = st.st_dev;
			s->v[s->n].ino = st.st_ino;
			s->n++;
		}
		free(text);
	}
	for (size_t i = 0; i < nnames; i++)
		free(names[i]);
	free(names);
	return s;
}

/* The first venv of the store whose .project names L. */
static int
locator_virtualenvwrapper_at(struct locator_walk *w)
{
	struct vwrap_store *s;
	char store[PATH_MAX + 1];
	struct stat st;
	void **slot;

	if (w->fd != -1)
		return 0;	/* no venv that long can be used */
	slot = locator_memo(w, &locator_virtualenvwrapper, vwrap_store_free);
	if (*slot == NULL) {
		if (locator_workon_home(w, store) == -1)
			*slot = xcalloc(1, sizeof *s);
		else
			*slot = vwrap_store_read(w, store);
	}
	s = *slot;
	if (s->n == 0 || stat(w->level, &st) == -1)
		return 0;
	for (size_t i = 0; i < s->n; i++) {
		if (s->v[i].dev != st.st_dev || s->v[i].ino != st.st_ino)
			continue;
		locator_dep_venv(w, s->v[i].path);
		if (locator_is_venv(w, s->v[i].path))
			return locator_found(w, s->v[i].path,
			    "virtualenvwrapper", s->v[i].project_file);
	}
	return 0;
}

const struct locator locator_virtualenvwrapper = {
	"virtualenvwrapper", locator_virtualenvwrapper_at, NULL,
	"virtualenvwrapper's rule"
};
