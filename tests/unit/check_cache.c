/*
 * check_cache.c: the per-directory cache (daemon/cache.c) on a real
 * libev loop and a real inotify fd, over real temporary trees. Events
 * are awaited by running the loop until a condition holds or a
 * generous deadline passes; nothing assumes how soon the kernel
 * delivers them.
 */
#include "config.h"

#include <sys/stat.h>

#include <ev.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "daemon.h"
#include "cache.h"
#include "conf.h"
#include "generation.h"
#include "health.h"
#include "locator.h"
#include "protocol.h"
#include "suites.h"
#include "tmptree.h"
#include "watch.h"
#include "xmalloc.h"

/* How long an event may take to arrive on a busy machine. */
#define EVENT_DEADLINE_S	30.0

/* One daemon with just a loop, a watcher, a generation and a cache. */
struct fixture {
	struct daemon	 d;
	char		*tree;		/* the projects */
	char		*state;		/* the generation file */
};

static struct fixture fx;

/* Set up the daemon's parts the cache uses (no index: d.db is NULL). */
static void
setup(void)
{
	char err[512];

	memset(&fx, 0, sizeof fx);
	fx.tree = tmptree_new();
	fx.state = tmptree_new();
	fx.d.loop = ev_loop_new(EVFLAG_AUTO);
	ck_assert_ptr_nonnull(fx.d.loop);
	conf_defaults(&fx.d.cfg);
	fx.d.gen = generation_new(fx.state, err, sizeof err);
	ck_assert_msg(fx.d.gen != NULL, "%s", err);
	fx.d.health = health_new(fx.d.gen);
	fx.d.watcher = watcher_new(fx.d.loop, fx.d.gen, fx.d.health, err, sizeof err);
	ck_assert_msg(fx.d.watcher != NULL, "%s", err);
	fx.d.cache = cache_new(&fx.d);
}

/* Tear it down in the daemon's order. */
static void
teardown(void)
{
	cache_free(fx.d.cache);
	fx.d.cache = NULL;
	watcher_free(fx.d.watcher);
	health_free(fx.d.health);
	generation_free(fx.d.gen, 1);
	conf_free(&fx.d.cfg);
	ev_loop_destroy(fx.d.loop);
	tmptree_free(fx.tree);
	tmptree_free(fx.state);
}

/* fx.tree/rel, malloc'd. */
static char *
path(const char *rel)
{
	char *p;

	xasprintf(&p, "%s/%s", fx.tree, rel);
	return p;
}

/* cache_resolve fx.tree/rel: its result, with *hit and *cacheable. */
static int
resolve(const char *rel, int *hit, int *cacheable, char **venv)
{
	struct venv_info vi;
	char err[256] = "", *p = path(rel);
	int rc;

	rc = cache_resolve(fx.d.cache, NULL, p, &vi, hit, cacheable, err, sizeof err);
	ck_assert_msg(rc != -1, "%s: %s", p, err);
	if (venv != NULL)
		*venv = rc == 1 ? xstrdup(vi.path) : NULL;
	if (rc == 1)
		venv_info_free(&vi);
	free(p);
	return rc;
}

/* Is fx.tree/rel in the cache (without touching the disk)? */
static int
cached(const char *rel)
{
	struct venv_info vi;
	char *p = path(rel);
	int rc = cache_lookup(fx.d.cache, NULL, p, &vi);

	if (rc == 1)
		venv_info_free(&vi);
	free(p);
	return rc != -1;
}

/* Run the loop until rel is no longer cached; 1, or 0 at the deadline. */
static int
wait_dropped(const char *rel)
{
	ev_tstamp end = ev_time() + EVENT_DEADLINE_S;

	while (cached(rel)) {
		if (ev_time() > end)
			return 0;
		ev_run(fx.d.loop, EVRUN_ONCE | EVRUN_NOWAIT);
		if (cached(rel))
			usleep(2000);
	}
	return 1;
}

/* A hit after a miss; the same answer; the venv's deps found it. */
START_TEST(test_hit_after_miss)
{
	char *venv, *again, *want = path("p/.venv");
	int hit, cacheable;

	tmptree_venv(fx.tree, "p/.venv", "");
	tmptree_mkdir(fx.tree, "p/src");
	tmptree_mkdir(fx.tree, "q");
	ck_assert_uint_eq(cache_size(fx.d.cache), 0);
	ck_assert_int_eq(resolve("p/src", &hit, &cacheable, &venv), 1);
	ck_assert_int_eq(hit, 0);
	ck_assert_int_eq(cacheable, 1);
	ck_assert_str_eq(venv, want);
	ck_assert_int_eq(resolve("p/src", &hit, &cacheable, &again), 1);
	ck_assert_int_eq(hit, 1);
	ck_assert_int_eq(cacheable, 1);
	ck_assert_str_eq(again, want);
	/* No venv is an answer too, and cached. */
	ck_assert_int_eq(resolve("q", &hit, &cacheable, NULL), 0);
	ck_assert_int_eq(hit, 0);
	ck_assert_int_eq(resolve("q", &hit, &cacheable, NULL), 0);
	ck_assert_int_eq(hit, 1);
	ck_assert_uint_eq(cache_size(fx.d.cache), 2);
	ck_assert_int_gt(watch_count(fx.d.watcher), 0);
	free(venv);
	free(again);
	free(want);
}
END_TEST

/* An event on a watched dir drops exactly the answers that depend on it. */
START_TEST(test_invalidation)
{
	char gen[128], *venv, *p;
	int hit, cacheable;

	tmptree_mkdir(fx.tree, "p/src");
	tmptree_mkdir(fx.tree, "r");
	ck_assert_int_eq(resolve("p/src", &hit, &cacheable, NULL), 0);
	ck_assert_int_eq(resolve("r", &hit, &cacheable, NULL), 0);
	ck_assert_int_eq(cacheable, 1);
	snprintf(gen, sizeof gen, "%s", generation_string(fx.d.gen));

	/* A name no locator cares about leaves r; then .venv in p drops p/src. */
	tmptree_write(fx.tree, "r/notes.txt", "x");
	tmptree_venv(fx.tree, "p/.venv", "");
	ck_assert_msg(wait_dropped("p/src"), "p/src still cached");
	ck_assert_int_eq(cached("r"), 1);
	ck_assert_str_ne(generation_string(fx.d.gen), gen);
	ck_assert_int_eq(resolve("p/src", &hit, &cacheable, &venv), 1);
	ck_assert_int_eq(hit, 0);
	ck_assert_int_eq(cacheable, 1);
	free(venv);

	/* The venv's pyvenv.cfg rewritten: its answer may say something else. */
	tmptree_write(fx.tree, "p/.venv/pyvenv.cfg", "version = 3.12.1\n");
	ck_assert_msg(wait_dropped("p/src"), "p/src still cached after pyvenv.cfg");
	ck_assert_int_eq(resolve("p/src", &hit, &cacheable, NULL), 1);
	ck_assert_int_eq(hit, 0);

	/* bin/python gone: no venv any more. */
	p = path("p/.venv/bin/python");
	ck_assert_int_eq(unlink(p), 0);
	free(p);
	ck_assert_msg(wait_dropped("p/src"), "p/src still cached after bin/python");
	ck_assert_int_eq(resolve("p/src", &hit, &cacheable, NULL), 0);
	ck_assert_int_eq(hit, 0);
	ck_assert_int_eq(cached("r"), 1);
}
END_TEST

/* The level's entry names that matter come from the locators: custom venv_dirs. */
START_TEST(test_invalidation_custom_venv_dirs)
{
	char *venv, err[256];
	int hit, cacheable;

	ck_assert_msg(conf_parse("venv_dirs = env\n", NULL, &fx.d.cfg, err,
	    sizeof err) == 0, "%s", err);
	tmptree_mkdir(fx.tree, "p/src");
	tmptree_mkdir(fx.tree, "sentinel");
	ck_assert_int_eq(resolve("p/src", &hit, &cacheable, NULL), 0);
	ck_assert_int_eq(resolve("sentinel", &hit, &cacheable, NULL), 0);
	/*
	 * venv means nothing here: p/src stays while the sentinel goes.
	 * (.venv would: Poetry's in-project venv is a name of its own.)
	 */
	tmptree_venv(fx.tree, "p/venv", "");
	tmptree_venv(fx.tree, "sentinel/env", "");
	ck_assert_msg(wait_dropped("sentinel"), "sentinel still cached");
	ck_assert_int_eq(cached("p/src"), 1);
	tmptree_venv(fx.tree, "p/env", "");
	ck_assert_msg(wait_dropped("p/src"), "p/src still cached");
	ck_assert_int_eq(resolve("p/src", &hit, &cacheable, &venv), 1);
	ck_assert_ptr_nonnull(strstr(venv, "/p/env"));
	free(venv);
}
END_TEST

/* Over the watch budget, the least recently used answer goes first. */
START_TEST(test_lru_eviction)
{
	int hit, cacheable;
	long base;

	tmptree_mkdir(fx.tree, "a");
	tmptree_mkdir(fx.tree, "b");
	tmptree_mkdir(fx.tree, "c");
	ck_assert_int_eq(resolve("a", &hit, &cacheable, NULL), 0);
	base = watch_count(fx.d.watcher);	/* a's level and every ancestor */
	ck_assert_int_eq(resolve("b", &hit, &cacheable, NULL), 0);
	ck_assert_int_eq(watch_count(fx.d.watcher), base + 1);
	/* a used after b: b is the least recently used. */
	ck_assert_int_eq(resolve("a", &hit, &cacheable, NULL), 0);
	ck_assert_int_eq(hit, 1);
	fx.d.cfg.max_watches = base + 1;
	ck_assert_int_eq(resolve("c", &hit, &cacheable, NULL), 0);
	ck_assert_int_eq(cacheable, 1);
	ck_assert_int_eq(cached("b"), 0);
	ck_assert_int_eq(cached("a"), 1);
	ck_assert_int_eq(cached("c"), 1);
	ck_assert_uint_eq(cache_size(fx.d.cache), 2);
	ck_assert_int_le(watch_count(fx.d.watcher), base + 1);
	/* One answer alone over the budget: given, but not kept. */
	fx.d.cfg.max_watches = 1;
	tmptree_mkdir(fx.tree, "d");
	ck_assert_int_eq(resolve("d", &hit, &cacheable, NULL), 0);
	ck_assert_int_eq(cacheable, 0);
	ck_assert_uint_eq(cache_size(fx.d.cache), 0);
	ck_assert_int_eq(watch_count(fx.d.watcher), 0);
}
END_TEST

/* A watch that cannot be set: answered every time, never cached. */
START_TEST(test_uncacheable)
{
	int hit, cacheable;
	char *venv;

	/* A level that is not there cannot be watched. */
	tmptree_venv(fx.tree, "p/.venv", "");
	ck_assert_int_eq(resolve("p/gone/deeper", &hit, &cacheable, &venv), 1);
	ck_assert_int_eq(hit, 0);
	ck_assert_int_eq(cacheable, 0);
	ck_assert_ptr_nonnull(strstr(venv, "/p/.venv"));
	free(venv);
	ck_assert_int_eq(resolve("p/gone/deeper", &hit, &cacheable, NULL), 1);
	ck_assert_int_eq(hit, 0);
	ck_assert_int_eq(cacheable, 0);
	ck_assert_uint_eq(cache_size(fx.d.cache), 0);
	/* Nothing held on behalf of the failed misses. */
	ck_assert_int_eq(watch_count(fx.d.watcher), 0);
	/* Not the kernel's limit: no degraded state raised. */
	ck_assert_ptr_null(health_reason(fx.d.health, 0, NULL));
	/* Without inotify at all, nothing is cacheable. */
	watcher_free(fx.d.watcher);
	fx.d.watcher = NULL;
	ck_assert_int_eq(resolve("p", &hit, &cacheable, NULL), 1);
	ck_assert_int_eq(cacheable, 0);
	ck_assert_uint_eq(cache_size(fx.d.cache), 0);
}
END_TEST

/*
 * A locator of the tests': the venv whose path the file <level>/.use
 * holds, found as "use". It depends on that file's contents and on
 * the directory holding the venv, as a tool's store of venvs would.
 */
static int
test_use_at(struct locator_walk *w)
{
	char venv[PATH_MAX], file[PATH_MAX + 8], *slash;
	ssize_t n;
	int fd;

	if (w->fd != -1 || !locator_is_file(w, ".use"))
		return 0;
	snprintf(file, sizeof file, "%s/.use", w->level);
	if ((fd = open(file, O_RDONLY | O_CLOEXEC)) == -1)
		return 0;
	n = read(fd, venv, sizeof venv - 1);
	close(fd);
	if (n <= 0)
		return 0;
	venv[n] = '\0';
	locator_dep(w, ".use", RESOLVE_DEP_FILE);
	if ((slash = strrchr(venv, '/')) != NULL && slash != venv) {
		*slash = '\0';
		locator_dep(w, venv, RESOLVE_DEP_DIR);
		*slash = '/';
	}
	if (!locator_is_dir(w, venv))
		return 0;
	locator_dep_venv(w, venv);
	return locator_is_venv(w, venv) ? locator_found(w, venv, "use", "use") : 0;
}

/* An entry called .use in a level decides test_use's answer. */
static int
test_use_names(const struct resolve_opts *opts, const char *name)
{
	return strcmp(name, ".use") == 0;
}

static const struct locator locator_test_use = { "use", test_use_at, test_use_names, NULL };
static const struct locator *const table_use[] = {
	&locator_self, &locator_test_use, &locator_venv_dirs, NULL
};

/* A locator's own dependencies are watched: a file it reads, a dir outside, its names. */
START_TEST(test_locator_deps_watched)
{
	char *venv, *want, *store = path("store/env-1");
	int hit, cacheable;

	cache_set_locators(fx.d.cache, table_use);
	tmptree_venv(fx.tree, "store/env-1", "");
	tmptree_venv(fx.tree, "store/env-2", "");
	tmptree_write(fx.tree, "p/.use", store);
	tmptree_mkdir(fx.tree, "p/src");
	tmptree_mkdir(fx.tree, "q/src");
	ck_assert_int_eq(resolve("p/src", &hit, &cacheable, &venv), 1);
	ck_assert_int_eq(cacheable, 1);
	ck_assert_str_eq(venv, store);
	free(venv);
	ck_assert_int_eq(resolve("q/src", &hit, &cacheable, NULL), 0);

	/* The file rewritten in place: RESOLVE_DEP_FILE. */
	want = path("store/env-2");
	tmptree_write(fx.tree, "p/.use", want);
	ck_assert_msg(wait_dropped("p/src"), "p/src still cached after .use changed");
	ck_assert_int_eq(cached("q/src"), 1);
	ck_assert_int_eq(resolve("p/src", &hit, &cacheable, &venv), 1);
	ck_assert_int_eq(hit, 0);
	ck_assert_str_eq(venv, want);
	free(venv);

	/* An entry in the store outside the project: RESOLVE_DEP_DIR. */
	tmptree_mkdir(fx.tree, "store/env-3");
	ck_assert_msg(wait_dropped("p/src"), "p/src still cached after the store changed");
	ck_assert_int_eq(resolve("p/src", &hit, &cacheable, NULL), 1);
	ck_assert_int_eq(hit, 0);

	/* A .use appearing in a level: the locator's names. */
	tmptree_write(fx.tree, "q/.use", want);
	ck_assert_msg(wait_dropped("q/src"), "q/src still cached after q/.use appeared");
	ck_assert_int_eq(resolve("q/src", &hit, &cacheable, &venv), 1);
	ck_assert_str_eq(venv, want);
	free(venv);
	free(want);
	free(store);
}
END_TEST

static const struct locator *const table_vwrap[] = {
	&locator_self, &locator_virtualenvwrapper, NULL
};

/*
 * A store that does not exist yet (RESOLVE_DEP_ABSENT): its appearing
 * drops the answer; other entries of the directory above it (a home,
 * where shells write their history at every command) do not.
 */
START_TEST(test_absent_store)
{
	char *store = path("home/envs"), *venv, *want;
	int hit, cacheable;

	ck_assert_int_eq(setenv("WORKON_HOME", store, 1), 0);
	/* The daemon's own locator environment is read when its cache is made. */
	cache_free(fx.d.cache);
	fx.d.cache = cache_new(&fx.d);
	cache_set_locators(fx.d.cache, table_vwrap);
	tmptree_mkdir(fx.tree, "home");
	tmptree_mkdir(fx.tree, "proj/src");
	tmptree_mkdir(fx.tree, "sentinel");
	ck_assert_int_eq(resolve("proj/src", &hit, &cacheable, NULL), 0);
	ck_assert_int_eq(cacheable, 1);
	ck_assert_int_eq(resolve("sentinel", &hit, &cacheable, NULL), 0);
	/* Noise in home, then a change that drops the sentinel: both events are in. */
	tmptree_write(fx.tree, "home/.bash_history", "ls\n");
	tmptree_mkdir(fx.tree, "home/.cache");
	tmptree_venv(fx.tree, "sentinel", "");
	ck_assert_msg(wait_dropped("sentinel"), "sentinel still cached");
	ck_assert_msg(cached("proj/src"), "home's other entries dropped proj/src");
	/* The store appears: the answer goes; then a venv naming proj is found. */
	tmptree_mkdir(fx.tree, "home/envs");
	ck_assert_msg(wait_dropped("proj/src"), "proj/src still cached after the store appeared");
	ck_assert_int_eq(resolve("proj/src", &hit, &cacheable, NULL), 0);
	ck_assert_int_eq(hit, 0);
	tmptree_venv(fx.tree, "home/envs/api", "");
	want = path("proj");
	tmptree_write(fx.tree, "home/envs/api/.project", want);
	ck_assert_msg(wait_dropped("proj/src"), "proj/src still cached after a venv in the store");
	ck_assert_int_eq(resolve("proj/src", &hit, &cacheable, &venv), 1);
	ck_assert_ptr_nonnull(strstr(venv, "/home/envs/api"));
	free(venv);
	free(want);
	free(store);
	unsetenv("WORKON_HOME");
}
END_TEST

/* cache_resolve fx.tree/rel in the locator environment env; *venv as resolve(). */
static int
resolve_env(char **env, const char *rel, int *hit, char **venv)
{
	struct venv_info vi;
	char err[256] = "", *p = path(rel);
	int rc, cacheable;

	rc = cache_resolve(fx.d.cache, (const char *const *)env, p, &vi, hit,
	    &cacheable, err, sizeof err);
	ck_assert_msg(rc != -1, "%s: %s", p, err);
	ck_assert_int_eq(cacheable, 1);
	*venv = rc == 1 ? xstrdup(vi.path) : NULL;
	if (rc == 1)
		venv_info_free(&vi);
	free(p);
	return rc;
}

/* Is fx.tree/rel cached for env? */
static int
cached_env(char **env, const char *rel)
{
	struct venv_info vi;
	char *p = path(rel);
	int rc = cache_lookup(fx.d.cache, (const char *const *)env, p, &vi);

	if (rc == 1)
		venv_info_free(&vi);
	free(p);
	return rc != -1;
}

/*
 * Clients in different locator environments get their own answers, kept
 * apart: neither drops the other's, a new environment moves no
 * generation, and beyond VENVD_MAX_ENVS the least recently used goes.
 */
START_TEST(test_envs_apart)
{
	char *a = path("a"), *b = path("b"), *proj = path("p");
	char **ea = tmptree_env("WORKON_HOME", a, NULL);
	char **eb = tmptree_env("WORKON_HOME", b, NULL);
	char *venv, *want, *gen, other[64];
	const char *const *e;
	size_t n;
	int hit;

	tmptree_mkdir(fx.tree, "p/src");
	tmptree_venv(fx.tree, "a/e", "");
	tmptree_write(fx.tree, "a/e/.project", proj);
	tmptree_venv(fx.tree, "b/e", "");
	tmptree_write(fx.tree, "b/e/.project", proj);

	gen = xstrdup(generation_string(fx.d.gen));
	ck_assert_int_eq(resolve_env(ea, "p/src", &hit, &venv), 1);
	want = path("a/e");
	ck_assert_str_eq(venv, want);
	free(want);
	free(venv);
	ck_assert_int_eq(resolve_env(eb, "p/src", &hit, &venv), 1);
	ck_assert_int_eq(hit, 0);
	want = path("b/e");
	ck_assert_str_eq(venv, want);
	free(want);
	free(venv);
	ck_assert_str_eq(generation_string(fx.d.gen), gen);
	/* Both stay cached: no flip-flop between two shells. */
	ck_assert_int_eq(resolve_env(ea, "p/src", &hit, &venv), 1);
	ck_assert_int_eq(hit, 1);
	free(venv);
	ck_assert_int_eq(cached_env(eb, "p/src"), 1);
	ck_assert_int_eq(cached(("p/src")), 0);
	/* status: the daemon's own first, then these two. */
	ck_assert_ptr_nonnull(cache_env_at(fx.d.cache, 0, NULL));
	e = cache_env_at(fx.d.cache, 1, &n);
	ck_assert_ptr_nonnull(e);
	ck_assert_uint_eq(n, 1);
	ck_assert_ptr_nonnull(cache_env_at(fx.d.cache, 2, NULL));
	ck_assert_ptr_null(cache_env_at(fx.d.cache, 3, NULL));

	/* B used last; VENVD_MAX_ENVS - 1 more environments: A is dropped. */
	ck_assert_int_eq(cached_env(eb, "p/src"), 1);
	for (int i = 0; i < VENVD_MAX_ENVS - 1; i++) {
		char **ex;

		snprintf(other, sizeof other, "/nonexistent/w%d", i);
		ex = tmptree_env("WORKON_HOME", other, NULL);
		ck_assert_int_eq(resolve_env(ex, "p/src", &hit, &venv), 0);
		tmptree_env_free(ex);
	}
	ck_assert_int_eq(cached_env(ea, "p/src"), 0);
	ck_assert_int_eq(cached_env(eb, "p/src"), 1);
	ck_assert_ptr_null(cache_env_at(fx.d.cache, 1 + VENVD_MAX_ENVS, NULL));
	ck_assert_str_ne(generation_string(fx.d.gen), gen);
	/* A comes back as a new environment and resolves again. */
	ck_assert_int_eq(resolve_env(ea, "p/src", &hit, &venv), 1);
	ck_assert_int_eq(hit, 0);
	free(venv);
	free(gen);
	tmptree_env_free(ea);
	tmptree_env_free(eb);
	free(a);
	free(b);
	free(proj);
}
END_TEST

/* The cache suite. */
Suite *
suite_cache(void)
{
	Suite *s = suite_create("cache");
	TCase *tc = tcase_create("cache");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_hit_after_miss);
	tcase_add_test(tc, test_invalidation);
	tcase_add_test(tc, test_invalidation_custom_venv_dirs);
	tcase_add_test(tc, test_lru_eviction);
	tcase_add_test(tc, test_uncacheable);
	tcase_add_test(tc, test_locator_deps_watched);
	tcase_add_test(tc, test_absent_store);
	tcase_add_test(tc, test_envs_apart);
	suite_add_tcase(s, tc);
	return s;
}
