/*
 * check_watch.c: the daemon's infrastructure layer: watch owners
 * (daemon/watch.c) and the health registry (daemon/health.c), with a
 * real inotify fd, a real libev loop and a real generation file.
 */
#include "config.h"

#include <sys/inotify.h>
#include <sys/stat.h>

#include <check.h>
#include <ev.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "generation.h"
#include "health.h"
#include "watch.h"
#include "suites.h"
#include "tmptree.h"

#define EVENT_MASK	(IN_CREATE | IN_ONLYDIR)
#define LOG_MAX		16

/* What an owner was told, as "<owner>:<entry>" or "<owner>:overflow". */
struct heard {
	char	 lines[LOG_MAX][64];
	int	 n;
};

/* One owner under test. */
struct fake_owner {
	const char		*name;
	struct heard		*log;
	struct watch_owner	 owner;
};

/* The fixture: a loop, a generation, a registry, a watcher, a tree. */
struct world {
	struct ev_loop		*loop;
	char			*root;
	struct generation	*gen;
	struct health		*health;
	struct watcher		*w;
	struct heard		 log;
};

/* An event reached an owner: note it. */
static void
fake_event(void *ctx, int wd, uint32_t mask, const char *name)
{
	struct fake_owner *o = ctx;

	(void)wd;
	(void)mask;
	if (o->log->n < LOG_MAX)
		snprintf(o->log->lines[o->log->n++], sizeof o->log->lines[0],
		    "%s:%s", o->name, name != NULL ? name : "-");
}

/* Make an owner that notes its events in log. */
static void
fake_init(struct fake_owner *o, const char *name, struct heard *log)
{
	memset(o, 0, sizeof *o);
	o->name = name;
	o->log = log;
	o->owner.name = name;
	o->owner.on_event = fake_event;
	o->owner.ctx = o;
}

/* A timer while waiting for events: stop waiting. */
static void
deadline_cb(struct ev_loop *loop, ev_timer *t, int revents)
{
	(void)t;
	(void)revents;
	ev_break(loop, EVBREAK_ONE);
}

/* Run the loop until want lines were heard, or 10 s passed. */
static void
world_wait(struct world *x, int want)
{
	ev_timer deadline;
	ev_tstamp until = ev_now(x->loop) + 10.0;

	ev_timer_init(&deadline, deadline_cb, 0.05, 0.);
	while (x->log.n < want && ev_now(x->loop) < until) {
		ev_timer_set(&deadline, 0.05, 0.);
		ev_timer_start(x->loop, &deadline);
		ev_run(x->loop, EVRUN_ONCE);
		ev_timer_stop(x->loop, &deadline);
		ev_now_update(x->loop);
	}
}

/* Set up the world. */
static void
world_new(struct world *x)
{
	char err[512];

	memset(x, 0, sizeof *x);
	x->loop = ev_loop_new(EVFLAG_AUTO);
	ck_assert_ptr_nonnull(x->loop);
	x->root = tmptree_new();
	x->gen = generation_new(x->root, err, sizeof err);
	ck_assert_msg(x->gen != NULL, "generation_new: %s", err);
	x->health = health_new(x->gen);
	x->w = watcher_new(x->loop, x->gen, x->health, err, sizeof err);
	ck_assert_msg(x->w != NULL, "watcher_new: %s", err);
}

/* Tear it down. */
static void
world_free(struct world *x)
{
	watcher_free(x->w);
	health_free(x->health);
	generation_free(x->gen, 1);
	ev_loop_destroy(x->loop);
	tmptree_free(x->root);
}

/* root/rel into buf. */
static const char *
at(char *buf, size_t len, const char *root, const char *rel)
{
	snprintf(buf, len, "%s/%s", root, rel);
	return buf;
}

/* Two owners of one directory share one wd; both hear an event, in registration order. */
START_TEST(test_shared_wd_both_hear)
{
	struct world x;
	struct fake_owner a, b;
	char path[4096];
	int wa, wb;

	world_new(&x);
	fake_init(&a, "a", &x.log);
	fake_init(&b, "b", &x.log);
	ck_assert_int_eq(watch_register(x.w, &a.owner), 0);
	ck_assert_int_eq(watch_register(x.w, &b.owner), 0);
	tmptree_mkdir(x.root, "d");
	/* b first: the order of adding does not decide the order of telling. */
	wb = watch_add_owned(x.w, at(path, sizeof path, x.root, "d"), EVENT_MASK,
	    &b.owner);
	wa = watch_add_owned(x.w, path, EVENT_MASK, &a.owner);
	ck_assert_int_ge(wa, 0);
	ck_assert_int_eq(wa, wb);
	ck_assert_int_eq(watch_count(x.w), 1);
	tmptree_mkdir(x.root, "d/new");
	world_wait(&x, 2);
	ck_assert_int_eq(x.log.n, 2);
	ck_assert_str_eq(x.log.lines[0], "a:new");
	ck_assert_str_eq(x.log.lines[1], "b:new");
	world_free(&x);
}
END_TEST

/* One owner letting go keeps the watch for the other; the last one removes it. */
START_TEST(test_remove_owned_keeps_other)
{
	struct world x;
	struct fake_owner a, b;
	char path[4096];
	int wd;

	world_new(&x);
	fake_init(&a, "a", &x.log);
	fake_init(&b, "b", &x.log);
	watch_register(x.w, &a.owner);
	watch_register(x.w, &b.owner);
	tmptree_mkdir(x.root, "d");
	wd = watch_add_owned(x.w, at(path, sizeof path, x.root, "d"), EVENT_MASK,
	    &a.owner);
	ck_assert_int_eq(watch_add_owned(x.w, path, EVENT_MASK, &b.owner), wd);
	watch_remove_owned(x.w, wd, &a.owner);
	ck_assert_int_eq(watch_count(x.w), 1);
	tmptree_mkdir(x.root, "d/one");
	world_wait(&x, 1);
	ck_assert_int_eq(x.log.n, 1);
	ck_assert_str_eq(x.log.lines[0], "b:one");
	watch_remove_owned(x.w, wd, &b.owner);
	ck_assert_int_eq(watch_count(x.w), 0);
	world_free(&x);
}
END_TEST

/* Unregistering lets go of the owner's watches; an unregistered owner cannot add one. */
START_TEST(test_unregister)
{
	struct world x;
	struct fake_owner a, b;
	char path[4096];

	world_new(&x);
	fake_init(&a, "a", &x.log);
	fake_init(&b, "b", &x.log);
	watch_register(x.w, &a.owner);
	watch_register(x.w, &b.owner);
	tmptree_mkdir(x.root, "d");
	tmptree_mkdir(x.root, "e");
	ck_assert_int_ge(watch_add_owned(x.w, at(path, sizeof path, x.root, "d"),
	    EVENT_MASK, &a.owner), 0);
	ck_assert_int_ge(watch_add_owned(x.w, path, EVENT_MASK, &b.owner), 0);
	ck_assert_int_ge(watch_add_owned(x.w, at(path, sizeof path, x.root, "e"),
	    EVENT_MASK, &a.owner), 0);
	ck_assert_int_eq(watch_count(x.w), 2);
	watch_unregister(x.w, &a.owner);
	ck_assert_int_eq(watch_count(x.w), 1);	/* d stays for b */
	ck_assert_int_eq(watch_add_owned(x.w, path, EVENT_MASK, &a.owner), -1);
	tmptree_mkdir(x.root, "d/two");
	world_wait(&x, 1);
	ck_assert_int_eq(x.log.n, 1);
	ck_assert_str_eq(x.log.lines[0], "b:two");
	world_free(&x);
}
END_TEST

/* The registry: states set, reworded and cleared; only notices move the generation. */
START_TEST(test_health_registry)
{
	struct world x;
	char before[128];
	int notice = -1;

	world_new(&x);
	ck_assert_ptr_null(health_reason(x.health, 0, NULL));
	snprintf(before, sizeof before, "%s", generation_string(x.gen));
	health_degraded_set(x.health, "k1", "first %d", 1);
	ck_assert_str_eq(generation_string(x.gen), before);
	ck_assert_str_eq(health_reason(x.health, 0, &notice), "first 1");
	ck_assert_int_eq(notice, 0);
	health_degraded_set(x.health, "k1", "first %d", 2);
	ck_assert_str_eq(health_reason(x.health, 0, NULL), "first 2");
	ck_assert_ptr_null(health_reason(x.health, 1, NULL));

	health_notice_set(x.health, "k2", "a notice");
	ck_assert_str_ne(generation_string(x.gen), before);
	ck_assert_str_eq(health_reason(x.health, 1, &notice), "a notice");
	ck_assert_int_eq(notice, 1);
	snprintf(before, sizeof before, "%s", generation_string(x.gen));
	health_notice_set(x.health, "k2", "a notice");	/* unchanged */
	ck_assert_str_eq(generation_string(x.gen), before);

	health_clear(x.health, "k1");
	ck_assert_str_eq(generation_string(x.gen), before);
	ck_assert_str_eq(health_reason(x.health, 0, NULL), "a notice");
	health_clear(x.health, "k2");
	ck_assert_str_ne(generation_string(x.gen), before);
	ck_assert_ptr_null(health_reason(x.health, 0, NULL));
	health_clear(x.health, "absent");
	world_free(&x);
}
END_TEST

/* The infrastructure layer's suite. */
Suite *
suite_watch(void)
{
	Suite *s = suite_create("watch");
	TCase *tc = tcase_create("owners");

	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_shared_wd_both_hear);
	tcase_add_test(tc, test_remove_owned_keeps_other);
	tcase_add_test(tc, test_unregister);
	tcase_add_test(tc, test_health_registry);
	suite_add_tcase(s, tc);
	return s;
}
