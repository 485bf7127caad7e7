/*
 * cache.c: per-directory answers and the inotify watches they depend on.
 *
 * A miss runs resolve_dir() with a dependency callback that watches each
 * directory the answer depends on: every level walked (entries appearing
 * or vanishing), each candidate venv (pyvenv.cfg, bin/) and each bin/
 * (python), and whatever else a locator reports (a file it reads, a
 * directory outside the walk; enum resolve_dep). Entries and watches are many-to-many: each entry holds an
 * array of links, each watch node a list of the links that use it. A
 * relevant event drops exactly the entries linked to that watch; a watch
 * no entry uses any more is removed. The number of watches is bounded by
 * cfg.max_watches: least-recently-used entries are evicted until under.
 *
 * Every change that may alter an answer already given, including
 * eviction (the hooks' own per-directory caches are keyed by the
 * generation), bumps the generation.
 *
 * Answers that cannot be watched (the kernel's watch limit, a remote
 * filesystem, a directory vanishing mid-walk) are not stored: the
 * directory is resolved afresh on every request; the watch limit is
 * reported in the health registry (health.c).
 *
 * The cache is an owner of watches (watch.c): it is told of events on
 * its watches (cache_on_event) and drops everything when events were
 * lost. Every venv a miss finds goes to the index (index_resolved).
 *
 * Answers depend on the locator environment (WORKON_HOME, PYENV_ROOT...:
 * locator_env.h), and clients may send their own (resolve's "env"): each
 * environment a client resolved with is a struct cenv, and its entries
 * are keyed "<id>:<dir>" (the daemon's own, id 0, by dir alone), so
 * shells whose values differ never see each other's answers and never
 * drop them. Watches are shared as always. At most VENVD_MAX_ENVS client
 * environments are kept: a new one beyond drops the entries of the least
 * recently used (the generation moves).
 */
#include "config.h"

#include <sys/inotify.h>
#include <sys/queue.h>
#include <sys/stat.h>
#include <sys/statfs.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <uthash.h>

#include "daemon.h"
#include "cache.h"
#include "generation.h"
#include "health.h"
#include "index.h"
#include "watch.h"
#include "locator.h"
#include "locator_env.h"
#include "log.h"
#include "paths.h"
#include "protocol.h"
#include "xmalloc.h"

extern char **environ;

#define CACHE_DEFAULT_MAX_WATCHES	8192
/* How often a RESOLVE_DEP_ABSENT looks again for a directory that went while it looked. */
#define CACHE_ABSENT_TRIES	8

#define MASK_LEVEL	(IN_CREATE | IN_DELETE | IN_MOVED_FROM | IN_MOVED_TO | \
	IN_DELETE_SELF | IN_MOVE_SELF | IN_ATTRIB | IN_ONLYDIR)
#define MASK_VENV	(MASK_LEVEL | IN_CLOSE_WRITE | IN_MODIFY)
#define MASK_BIN	(IN_CREATE | IN_DELETE | IN_MOVED_FROM | IN_MOVED_TO | \
	IN_DELETE_SELF | IN_MOVE_SELF | IN_ATTRIB | IN_ONLYDIR)
#define MASK_FILE	(IN_CLOSE_WRITE | IN_MODIFY | IN_ATTRIB | IN_DELETE_SELF | \
	IN_MOVE_SELF)
#define MASK_SELF	(IN_DELETE_SELF | IN_MOVE_SELF | IN_IGNORED | IN_UNMOUNT)

#define KIND_BIT(k)	(1u << (unsigned)(k))
/* A level whose child on some walked path is a symlink: any entry name matters. */
#define KIND_ANYNAME	0x80u
/* How long without ENOSPC before the watch-limit state is cleared. */
#define CACHE_ENOSPC_CLEAR_S	60

struct centry;

/* One use of a watch by an entry. */
struct clink {
	struct centry	*entry;
	struct cwatch	*watch;
	LIST_ENTRY(clink) by_watch;
};

/* One inotify watch and the entries that depend on it. */
struct cwatch {
	int		 wd;
	uint8_t		 kinds;		/* KIND_BIT(enum resolve_dep) */
	uint8_t		 hold;		/* being iterated: do not free */
	char		**follow;	/* RESOLVE_DEP_ABSENT: the entry names that matter */
	size_t		 nfollow;
	LIST_HEAD(, clink) users;
	UT_hash_handle	 hh;
};

/* A venv answer, shared by every entry that got the same one. */
struct canswer {
	struct venv_info info;		/* info.path is the hash key */
	unsigned	 refs;
	int		 hashed;
	UT_hash_handle	 hh;
};

/* A locator environment answers are kept for. */
struct cenv {
	unsigned	 id;		/* 0: the daemon's own; else the key prefix */
	char		**vars;		/* locator_env_collect's form */
	size_t		 nentries;
	uint64_t	 used;		/* cache tick of the last request */
};

/* A cached directory. */
struct centry {
	char		*dir;		/* the key: dir, or "<env id>:<dir>" */
	struct cenv	*env;
	struct canswer	*answer;	/* NULL: no venv applies */
	TAILQ_ENTRY(centry) lru;
	UT_hash_handle	 hh;
	unsigned	 nlinks;
	struct clink	 links[];
};

struct cache {
	struct daemon	*d;
	struct watch_owner owner;	/* registered with d->watcher */
	struct centry	*entries;	/* uthash by dir */
	TAILQ_HEAD(, centry) lru;	/* head: least recently used */
	size_t		 nentries;
	struct cwatch	*watches;	/* uthash by wd */
	struct canswer	*answers;	/* uthash by venv path */
	time_t		 enospc_at;	/* last ENOSPC, 0 if none pending */
	const struct locator *const *locators;	/* a miss asks these */
	struct cenv	*envs[1 + VENVD_MAX_ENVS];	/* [0]: the daemon's own */
	size_t		 nenvs;
	unsigned	 env_ids;	/* the last id given */
	uint64_t	 tick;
	void		(*drop)(void *, const char *);	/* cache_on_drop */
	void		*drop_ctx;
};

static void	cache_on_event(void *, int, uint32_t, const char *);

/* What one miss collects through the dependency callback. */
struct cache_miss {
	struct cache	*c;
	struct cwatch	**deps;
	unsigned	 ndeps;
	unsigned	 capdeps;
	int		 enospc;	/* the kernel's watch limit */
	int		 remote;	/* a filesystem inotify cannot see */
	int		 failed;	/* some other watch failed */
	int		 child_link;	/* the level just walked is a symlink */
	char		 last_level[PATH_MAX + 1];	/* the highest level walked */
	char		 why[PATH_MAX + 64];
};

/* Is this statfs f_type a filesystem where inotify misses remote changes? */
static int
cache_remote_fs(long type)
{
	switch ((unsigned long)type) {
	case 0x6969:		/* NFS */
	case 0x517b:		/* SMB */
	case 0xfe534d42:	/* SMB2 */
	case 0xff534d42:	/* CIFS */
	case 0x65735546:	/* FUSE */
	case 0x01021997:	/* 9P */
	case 0x00c36400:	/* CEPH */
	case 0x5346414f:	/* AFS (OpenAFS) */
	case 0x6b414653:	/* AFS (kAFS) */
	case 0x73757245:	/* CODA */
	case 0x564c:		/* NCP */
	case 0x0bd00bd0:	/* Lustre */
	case 0x01161970:	/* GFS2 */
	case 0x7461636f:	/* OCFS2 */
	case 0x19830326:	/* FhGFS/BeeGFS */
	case 0x47504653:	/* GPFS */
	case 0x013111a8:	/* IBRIX */
	case 0x20030528:	/* PanFS */
	case 0x61636673:	/* ACFS */
		return 1;
	default:
		return 0;
	}
}

/* Release one reference to an answer. */
static void
cache_answer_put(struct cache *c, struct canswer *a)
{
	if (a == NULL || --a->refs > 0)
		return;
	if (a->hashed)
		HASH_DEL(c->answers, a);
	venv_info_free(&a->info);
	free(a);
}

/* Compare two possibly NULL strings. */
static int
cache_streq(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcmp(a, b) == 0;
}

/* Do two answers say the same thing? */
static int
cache_info_eq(const struct venv_info *a, const struct venv_info *b)
{
	return cache_streq(a->path, b->path) &&
	    cache_streq(a->project, b->project) &&
	    cache_streq(a->python, b->python) &&
	    cache_streq(a->version, b->version) &&
	    cache_streq(a->home, b->home) &&
	    cache_streq(a->prompt, b->prompt) &&
	    cache_streq(a->broken, b->broken) &&
	    cache_streq(a->found_as, b->found_as) &&
	    cache_streq(a->found_via, b->found_via) &&
	    a->include_system_site_packages ==
	    b->include_system_site_packages && a->kind == b->kind;
}

/* A shared answer equal to v (a reference taken), made if need be. */
static struct canswer *
cache_answer_get(struct cache *c, const struct venv_info *v)
{
	struct canswer *a;

	HASH_FIND_STR(c->answers, v->path, a);
	if (a != NULL && cache_info_eq(&a->info, v)) {
		a->refs++;
		return a;
	}
	if (a != NULL) {
		/* Stale version still held by older entries: unhash it. */
		HASH_DEL(c->answers, a);
		a->hashed = 0;
	}
	a = xcalloc(1, sizeof *a);
	venv_info_copy(&a->info, v);
	a->refs = 1;
	a->hashed = 1;
	HASH_ADD_KEYPTR(hh, c->answers, a->info.path, strlen(a->info.path), a);
	return a;
}

/* Free a watch's record (the inotify watch is the caller's business). */
static void
cache_watch_free(struct cwatch *w)
{
	for (size_t i = 0; i < w->nfollow; i++)
		free(w->follow[i]);
	free(w->follow);
	free(w);
}

/* Does the watch follow the entry called name (RESOLVE_DEP_ABSENT)? */
static int
cache_watch_follows(const struct cwatch *w, const char *name)
{
	for (size_t i = 0; i < w->nfollow; i++) {
		if (strcmp(w->follow[i], name) == 0)
			return 1;
	}
	return 0;
}

/* Follow the entry called name in w's directory too. */
static void
cache_watch_follow(struct cwatch *w, const char *name)
{
	if (cache_watch_follows(w, name))
		return;
	w->follow = xrealloc(w->follow, (w->nfollow + 1) * sizeof *w->follow);
	w->follow[w->nfollow++] = xstrdup(name);
}

/* Remove a watch no entry uses any more. */
static void
cache_watch_release(struct cache *c, struct cwatch *w)
{
	if (w->hold || !LIST_EMPTY(&w->users))
		return;
	HASH_DEL(c->watches, w);
	watch_remove_owned(c->d->watcher, w->wd, &c->owner);
	cache_watch_free(w);
}

/* Drop one entry, releasing watches only it used. The caller bumps the generation. */
static void
cache_entry_drop(struct cache *c, struct centry *e)
{
	unsigned i;

	HASH_DEL(c->entries, e);
	TAILQ_REMOVE(&c->lru, e, lru);
	c->nentries--;
	e->env->nentries--;
	for (i = 0; i < e->nlinks; i++)
		LIST_REMOVE(&e->links[i], by_watch);
	for (i = 0; i < e->nlinks; i++)
		cache_watch_release(c, e->links[i].watch);
	cache_answer_put(c, e->answer);
	free(e->dir);
	free(e);
}

/* The watcher lost events: drop every cached answer. */
static void
cache_watch_overflow(void *ctx)
{
	struct cache *c = ctx;

	log_warn("inotify event queue overflowed: dropping %zu cached "
	    "directories", cache_size(c));
	cache_clear(c);	if (c->drop != NULL)
		c->drop(c->drop_ctx, NULL);
}

/* Have fn(ctx, venv) told of the venvs whose answers an event drops. */
void
cache_on_drop(struct cache *c, void (*fn)(void *, const char *), void *ctx)
{
	c->drop = fn;
	c->drop_ctx = ctx;
}

/* A new, empty cache for d, registered as an owner of watches. */
struct cache *
cache_new(struct daemon *d)
{
	struct cache *c;

	c = xcalloc(1, sizeof *c);
	c->d = d;
	c->locators = locators;
	TAILQ_INIT(&c->lru);
	c->owner.name = "cache";
	c->owner.on_event = cache_on_event;
	c->owner.on_overflow = cache_watch_overflow;
	c->owner.ctx = c;
	(void)watch_register(d->watcher, &c->owner);
	c->envs[0] = xcalloc(1, sizeof *c->envs[0]);
	c->envs[0]->vars = locator_env_collect((const char *const *)environ);
	c->nenvs = 1;
	return c;
}

/* Free one environment. */
static void
cache_env_free(struct cenv *ce)
{
	locator_env_free(ce->vars);
	free(ce);
}

/* The environment kept for env (NULL: the daemon's own), or NULL; marked as used. */
static struct cenv *
cache_env_find(struct cache *c, const char *const *env)
{
	struct cenv *ce = NULL;

	if (env == NULL)
		ce = c->envs[0];
	for (size_t i = 0; ce == NULL && i < c->nenvs; i++) {
		if (locator_env_equal((const char *const *)c->envs[i]->vars, env))
			ce = c->envs[i];
	}
	if (ce != NULL)
		ce->used = ++c->tick;
	return ce;
}

/* Drop the least recently used client environment and its entries. */
static void
cache_env_evict(struct cache *c)
{
	struct centry *e, *next;
	struct cenv *victim;
	size_t v = 1, dropped = 0;

	for (size_t i = 2; i < c->nenvs; i++) {
		if (c->envs[i]->used < c->envs[v]->used)
			v = i;
	}
	victim = c->envs[v];
	for (e = TAILQ_FIRST(&c->lru); e != NULL; e = next) {
		next = TAILQ_NEXT(e, lru);
		if (e->env == victim) {
			cache_entry_drop(c, e);
			dropped++;
		}
	}
	log_info("more than %d client environments: dropping the %zu answers "
	    "of the least recently used", VENVD_MAX_ENVS, dropped);
	cache_env_free(victim);
	c->envs[v] = c->envs[--c->nenvs];
	c->envs[c->nenvs] = NULL;
	if (dropped > 0)
		generation_bump(c->d->gen);
}

/* The environment kept for env (NULL: the daemon's own), made if need be. */
static struct cenv *
cache_env_get(struct cache *c, const char *const *env)
{
	struct cenv *ce;
	char diff[512];

	if ((ce = cache_env_find(c, env)) != NULL)
		return ce;
	if (c->nenvs == 1 + VENVD_MAX_ENVS)
		cache_env_evict(c);
	ce = xcalloc(1, sizeof *ce);
	ce->id = ++c->env_ids;
	ce->vars = locator_env_copy(env);
	ce->used = ++c->tick;
	c->envs[c->nenvs++] = ce;
	locator_env_diff((const char *const *)c->envs[0]->vars, env, diff,
	    sizeof diff);
	log_info("a client's locator environment differs from the daemon's "
	    "(%s): answering it for its own (environment %u)", diff, ce->id);
	return ce;
}

/* The hash key of dir's entry in ce into key (PATH_MAX + 16 bytes); -1 if too long. */
static int
cache_key(const struct cenv *ce, const char *dir, char *key, size_t keylen)
{
	int n;

	if (ce->id == 0)
		n = snprintf(key, keylen, "%s", dir);
	else
		n = snprintf(key, keylen, "%u:%s", ce->id, dir);
	return n < 0 || (size_t)n >= keylen ? -1 : 0;
}

/* The i-th locator environment (0: the daemon's own) and its cached directories; NULL past the end. */
const char *const *
cache_env_at(const struct cache *c, size_t i, size_t *cached_dirs)
{
	if (i >= c->nenvs)
		return NULL;
	if (cached_dirs != NULL)
		*cached_dirs = c->envs[i]->nentries;
	return (const char *const *)c->envs[i]->vars;
}

/* Ask table (NULL-terminated) instead of locators[] on a miss; for tests. */
void
cache_set_locators(struct cache *c, const struct locator *const *table)
{
	c->locators = table;
}

/* Drop everything (inotify overflow): every entry and every watch. */
void
cache_clear(struct cache *c)
{
	struct centry *e;
	struct cwatch *w, *tmp;

	while ((e = TAILQ_FIRST(&c->lru)) != NULL)
		cache_entry_drop(c, e);
	/* Nothing should be left; be sure no watch leaks. */
	HASH_ITER(hh, c->watches, w, tmp) {
		HASH_DEL(c->watches, w);
		watch_remove_owned(c->d->watcher, w->wd, &c->owner);
		cache_watch_free(w);
	}
	log_debug("cache cleared");
}

/* Free the cache and remove its watches. */
void
cache_free(struct cache *c)
{
	if (c == NULL)
		return;
	cache_clear(c);
	watch_unregister(c->d->watcher, &c->owner);
	for (size_t i = 0; i < c->nenvs; i++)
		cache_env_free(c->envs[i]);
	free(c);
}

/* Directories with a cached answer. */
size_t
cache_size(const struct cache *c)
{
	return c == NULL ? 0 : c->nentries;
}

/* The kernel's watch limit for us (our user namespace's, else the global), or -1. */
static long
cache_kernel_watch_limit(void)
{
	static const char *const files[] = {
		"/proc/sys/user/max_inotify_watches",
		"/proc/sys/fs/inotify/max_user_watches",
	};
	FILE *f;
	long v = -1;
	size_t i;

	for (i = 0; i < sizeof files / sizeof files[0] && v == -1; i++) {
		if ((f = fopen(files[i], "re")) == NULL)
			continue;
		if (fscanf(f, "%ld", &v) != 1)
			v = -1;
		fclose(f);
	}
	return v;
}

/* resolve_dir's dependency callback: watch dir for what kind needs. */
static void
cache_dep(void *ctx, const char *dir, enum resolve_dep kind)
{
	struct cache_miss *m = ctx;
	struct cache *c = m->c;
	struct cwatch *w;
	struct statfs sf;
	struct stat sb;
	char parent[PATH_MAX + 1], follow[NAME_MAX + 1];
	const char *want;
	uint32_t mask;
	unsigned i;
	int wd, tries = 0;

	if (m->enospc || m->remote || m->failed)
		return;		/* uncacheable already: add no more watches */
	want = dir;
again:
	if (kind == RESOLVE_DEP_ABSENT) {
		/* Watch the nearest directory that exists, for that one name. */
		if (paths_absent_parent(want, parent, follow) == -1) {
			m->failed = 1;
			snprintf(m->why, sizeof m->why, "no directory above %s "
			    "to watch", want);
			return;
		}
		dir = parent;
	}
	if (statfs(dir, &sf) == 0 && cache_remote_fs((long)sf.f_type)) {
		m->remote = 1;
		snprintf(m->why, sizeof m->why, "%s is on a remote filesystem "
		    "(0x%lx)", dir, (unsigned long)sf.f_type);
		return;
	}
	switch (kind) {
	case RESOLVE_DEP_LEVEL:
		mask = MASK_LEVEL;
		break;
	case RESOLVE_DEP_VENV:
		mask = MASK_VENV;
		break;
	case RESOLVE_DEP_FILE:
		mask = MASK_FILE;
		break;
	case RESOLVE_DEP_ABSENT:
		mask = MASK_LEVEL;
		break;
	default:	/* RESOLVE_DEP_BIN, RESOLVE_DEP_DIR */
		mask = MASK_BIN;
		break;
	}
	if ((wd = watch_add_owned(c->d->watcher, dir, mask, &c->owner)) == -1) {
		/* The directory went before it was watched: look further up. */
		if (kind == RESOLVE_DEP_ABSENT && (errno == ENOENT ||
		    errno == ENOTDIR) && tries++ < CACHE_ABSENT_TRIES)
			goto again;
		if (errno == ENOSPC)
			m->enospc = 1;
		else
			m->failed = 1;
		snprintf(m->why, sizeof m->why, "cannot watch %s: %s", dir,
		    strerror(errno));
		return;
	}
	HASH_FIND_INT(c->watches, &wd, w);
	if (w == NULL) {
		w = xcalloc(1, sizeof *w);
		w->wd = wd;
		LIST_INIT(&w->users);
		HASH_ADD_INT(c->watches, wd, w);
	}
	log_debug("%s watched (wd %d) for %s", dir, wd,
	    resolve_dep_name(kind));
	w->kinds |= KIND_BIT(kind);
	if (kind == RESOLVE_DEP_ABSENT)
		cache_watch_follow(w, follow);
	if (kind == RESOLVE_DEP_LEVEL) {
		/*
		 * The walk goes upwards: if the level below was a symlink,
		 * retargeting it shows only as an entry of this level.
		 */
		if (m->child_link)
			w->kinds |= KIND_ANYNAME;
		m->child_link = lstat(dir, &sb) == 0 && S_ISLNK(sb.st_mode);
		snprintf(m->last_level, sizeof m->last_level, "%s", dir);
	}
	for (i = 0; i < m->ndeps; i++)
		if (m->deps[i] == w)
			return;
	if (m->ndeps == m->capdeps) {
		m->capdeps = m->capdeps == 0 ? 32 : m->capdeps * 2;
		m->deps = xrealloc(m->deps, m->capdeps * sizeof *m->deps);
	}
	/* Held until linked, so a failed miss can release it. */
	w->hold = 1;
	m->deps[m->ndeps++] = w;
}

/*
 * The walk stopped below '/' (a venv was found): a symlink among the
 * components above can still be retargeted. Watch the parent of each
 * such symlink for any entry changing.
 */
static void
cache_watch_link_parents(struct cache_miss *m)
{
	char path[PATH_MAX + 1];
	struct stat sb;
	char *slash;

	if (m->last_level[0] != '/')
		return;
	memcpy(path, m->last_level, sizeof path);
	while (strcmp(path, "/") != 0 &&
	    !(m->enospc || m->remote || m->failed)) {
		if ((slash = strrchr(path, '/')) == NULL)
			break;
		if (slash == path)
			slash[1] = '\0';
		else
			*slash = '\0';
		if (m->child_link)
			cache_dep(m, path, RESOLVE_DEP_LEVEL);
		else
			m->child_link = lstat(path, &sb) == 0 &&
			    S_ISLNK(sb.st_mode);
	}
}

/* Release the watches a miss collected but no entry will use. */
static void
cache_miss_release(struct cache *c, struct cache_miss *m)
{
	unsigned i;

	for (i = 0; i < m->ndeps; i++) {
		m->deps[i]->hold = 0;
		cache_watch_release(c, m->deps[i]);
	}
	m->ndeps = 0;
}

/* Evict least-recently-used entries until the watches fit the budget. */
static int
cache_enforce_budget(struct cache *c)
{
	struct daemon *d = c->d;
	long max = d->cfg.max_watches > 0 ? d->cfg.max_watches :
	    CACHE_DEFAULT_MAX_WATCHES;
	struct centry *e;
	int evicted = 0;

	while (watch_count(d->watcher) > max &&
	    (e = TAILQ_FIRST(&c->lru)) != NULL) {
		log_debug("evicting %s: %ld watches over the budget of %ld",
		    e->dir, watch_count(d->watcher), max);
		cache_entry_drop(c, e);
		evicted++;
	}
	return evicted;
}

/*
 * The cached answer for dir, marked as just used: 1 with out filled, 0
 * (none applies), or -1 when dir has no cached answer. No system call.
 */
int
cache_lookup(struct cache *c, const char *const *env, const char *dir,
    struct venv_info *out)
{
	char key[PATH_MAX + 16];
	struct centry *e;
	struct cenv *ce;

	if ((ce = cache_env_find(c, env)) == NULL ||
	    cache_key(ce, dir, key, sizeof key) == -1)
		return -1;
	HASH_FIND_STR(c->entries, key, e);
	if (e == NULL)
		return -1;
	TAILQ_REMOVE(&c->lru, e, lru);
	TAILQ_INSERT_TAIL(&c->lru, e, lru);
	if (e->answer == NULL) {
		memset(out, 0, sizeof *out);
		return 0;
	}
	venv_info_copy(out, &e->answer->info);
	return 1;
}

/*
 * Answer for an absolute directory from the cache, or by resolve_dir()
 * plus watches on every directory the answer depends on. Returns as
 * resolve_dir() does; *hit and *cacheable say how it was answered.
 */
int
cache_resolve(struct cache *c, const char *const *env, const char *dir,
    struct venv_info *out, int *hit, int *cacheable, char *err, size_t errlen)
{
	struct daemon *d = c->d;
	struct resolve_opts opts;
	struct cache_miss m;
	struct centry *e;
	struct cenv *ce;
	char key[PATH_MAX + 16];
	unsigned i;
	int rc;

	*hit = 0;
	*cacheable = 0;
	if ((rc = cache_lookup(c, env, dir, out)) != -1) {
		*hit = 1;
		*cacheable = 1;
		return rc;
	}

	ce = cache_env_get(c, env);
	memset(&m, 0, sizeof m);
	m.c = c;
	resolve_opts_from_conf(&opts, &d->cfg);
	opts.env = (const char *const *)ce->vars;
	if (d->watcher != NULL) {
		opts.dep = cache_dep;
		opts.dep_ctx = &m;
	} else
		m.failed = 1;
	rc = resolve_dir_with(c->locators, dir, &opts, out, err, errlen);
	if (rc == 1 && opts.dep != NULL)
		cache_watch_link_parents(&m);
	if (rc == 1)
		index_resolved(d, out);
	if (rc == -1 || m.enospc || m.remote || m.failed) {
		cache_miss_release(c, &m);
		free(m.deps);
		if (m.enospc) {
			if (c->enospc_at == 0) {
				log_warn("%s: resolving uncached", m.why);
				health_degraded_set(d->health, "watch-limit",
				    "inotify watch limit reached (%s); raise "
				    "fs.inotify.max_user_watches (now %ld) with "
				    "sysctl", m.why, cache_kernel_watch_limit());
			} else
				log_debug("%s: resolving uncached", m.why);
			c->enospc_at = time(NULL);
		} else if (rc != -1)
			log_debug("%s uncached: %s", dir, m.why);
		/* Removing watches may have ended another answer's coverage. */
		generation_flush(d->gen);
		return rc;
	}

	e = xmalloc(sizeof *e + m.ndeps * sizeof e->links[0]);
	(void)cache_key(ce, dir, key, sizeof key);
	e->dir = xstrdup(key);
	e->env = ce;
	ce->nentries++;
	e->answer = rc == 1 ? cache_answer_get(c, out) : NULL;
	e->nlinks = m.ndeps;
	for (i = 0; i < m.ndeps; i++) {
		e->links[i].entry = e;
		e->links[i].watch = m.deps[i];
		m.deps[i]->hold = 0;
		LIST_INSERT_HEAD(&m.deps[i]->users, &e->links[i], by_watch);
	}
	free(m.deps);
	HASH_ADD_KEYPTR(hh, c->entries, e->dir, strlen(e->dir), e);
	TAILQ_INSERT_TAIL(&c->lru, e, lru);
	c->nentries++;
	*cacheable = 1;

	if (cache_enforce_budget(c) > 0) {
		generation_bump(d->gen);
		/* Even alone this answer needs more watches than allowed. */
		HASH_FIND_STR(c->entries, key, e);
		if (e == NULL)
			*cacheable = 0;
	}
	if (c->enospc_at != 0 &&
	    time(NULL) - c->enospc_at >= CACHE_ENOSPC_CLEAR_S) {
		c->enospc_at = 0;
		health_clear(d->health, "watch-limit");
	}
	generation_flush(d->gen);
	return rc;
}

/* Is an event with this mask and name on watch w relevant? */
static int
cache_event_relevant(const struct cache *c, const struct cwatch *w,
    uint32_t mask, const char *name)
{
	struct resolve_opts opts;
	uint8_t kinds = w->kinds;

	if (mask & MASK_SELF)
		return 1;
	if (name == NULL && (kinds & KIND_BIT(RESOLVE_DEP_FILE)) &&
	    (mask & (IN_CLOSE_WRITE | IN_MODIFY)))
		return 1;	/* a file a locator reads, rewritten */
	if (name == NULL)
		return (mask & IN_ATTRIB) != 0;	/* permissions of the dir itself */
	if ((kinds & KIND_ANYNAME) && (mask & (IN_CREATE | IN_DELETE |
	    IN_MOVED_FROM | IN_MOVED_TO)))
		return 1;
	if ((kinds & KIND_BIT(RESOLVE_DEP_ABSENT)) && cache_watch_follows(w, name))
		return 1;	/* the missing store (or a dir on its way) came or went */
	if ((kinds & (KIND_BIT(RESOLVE_DEP_LEVEL) | KIND_BIT(RESOLVE_DEP_VENV))) &&
	    (strcmp(name, "pyvenv.cfg") == 0 || strcmp(name, "bin") == 0))
		return 1;
	/*
	 * Any entry of a venv's bin/ matters, not only python: an executable
	 * that appears, vanishes or changes mode there can change the trust
	 * verdict (a shadowed system command), which daemon/verdict.c memoises
	 * until the generation moves.
	 */
	if (kinds & (KIND_BIT(RESOLVE_DEP_BIN) | KIND_BIT(RESOLVE_DEP_DIR)))
		return 1;
	if (kinds & KIND_BIT(RESOLVE_DEP_LEVEL)) {
		resolve_opts_from_conf(&opts, &c->d->cfg);
		return locator_names_match(c->locators, &opts, name);
	}
	return 0;
}

/* An event on wd (struct watch_owner): drop exactly the entries that depend on it, if relevant. */
static void
cache_on_event(void *ctx, int wd, uint32_t mask, const char *name)
{
	struct cache *c = ctx;
	struct cwatch *w;
	struct clink *l;
	size_t dropped = 0;

	HASH_FIND_INT(c->watches, &wd, w);
	if (w == NULL)
		return;		/* a watch we already let go */
	if (!cache_event_relevant(c, w, mask, name))
		return;
	w->hold = 1;
	while ((l = LIST_FIRST(&w->users)) != NULL) {
		log_debug("invalidating %s: event 0x%x on %s%s (wd %d)",
		    l->entry->dir, mask, name != NULL ? "entry " : "the watched dir",
		    name != NULL ? name : "", wd);
		if (c->drop != NULL && l->entry->answer != NULL)
			c->drop(c->drop_ctx, l->entry->answer->info.path);
		cache_entry_drop(c, l->entry);
		dropped++;
	}
	w->hold = 0;
	if (mask & IN_IGNORED) {
		/* The kernel removed it already: just forget it. */
		HASH_DEL(c->watches, w);
		watch_remove_owned(c->d->watcher, wd, &c->owner);	/* no-op: not held */
		cache_watch_free(w);
	} else
		cache_watch_release(c, w);
	generation_bump(c->d->gen);
	if (dropped > 0)
		log_debug("dropped %zu cached directories", dropped);
}
