/*
 * cmd_index.c: the venv index from the command line: venvd list, forget,
 * gc, roots, watch and unwatch. Everything is read through the daemon,
 * which is started (unless VENVD_AUTOSTART=0) when it is not running.
 *
 * gc deletes directories, so it is careful: it refuses anything that is
 * not plainly a venv inside a discovery root, and removes with
 * openat/unlinkat without ever following a symlink or leaving the
 * venv's filesystem.
 */
#include "config.h"

#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "client.h"
#include "protocol.h"
#include "rpc.h"
#include "utf8.h"
#include "xmalloc.h"

/* Budget for an index call (a list of thousands of venvs is large). */
#define INDEX_BUDGET_MS		10000
/* How long to wait for a daemon we started to answer. */
#define INDEX_START_WAIT_MS	3000

/* One call: with on_note, notifications before the result go to it. */
static json_t *
index_call_once(const char *method, json_t *params, transport_note_fn *on_note,
    void *ctx, int *down, char *err, size_t errlen)
{
	if (on_note == NULL)
		return client_call(method, params, INDEX_BUDGET_MS, down, err,
		    errlen);
	return client_call_notified(method, params, INDEX_BUDGET_MS, on_note,
	    ctx, down, err, errlen);
}

/*
 * Call method on the daemon, starting it if nobody listens (unless
 * VENVD_AUTOSTART=0); notifications before the result go to on_note
 * (NULL: a plain call). Steals params. NULL with a message printed.
 */
static json_t *
index_call(const char *method, json_t *params, transport_note_fn *on_note,
    void *ctx)
{
	const char *env = getenv("VENVD_AUTOSTART");
	char err[512];
	long long deadline;
	json_t *r;
	int down;

	r = index_call_once(method, json_incref(params), on_note, ctx, &down,
	    err, sizeof err);
	if (r != NULL || !down) {
		if (r == NULL)
			fprintf(stderr, "venvd: %s: %s\n", method, err);
		json_decref(params);
		return r;
	}
	if (env != NULL && strcmp(env, "0") == 0) {
		fprintf(stderr, "venvd: the daemon is not running and "
		    "VENVD_AUTOSTART=0; start it with: venvd start\n");
		json_decref(params);
		return NULL;
	}
	client_autostart();
	deadline = now_ms() + INDEX_START_WAIT_MS;
	for (;;) {
		r = index_call_once(method, json_incref(params), on_note, ctx,
		    &down, err, sizeof err);
		if (r != NULL || !down || now_ms() > deadline)
			break;
		usleep(20 * 1000);
	}
	if (r == NULL && down)
		fprintf(stderr, "venvd: the daemon did not start within %d s "
		    "(try: venvd start)\n", INDEX_START_WAIT_MS / 1000);
	else if (r == NULL)
		fprintf(stderr, "venvd: %s: %s\n", method, err);
	json_decref(params);
	return r;
}

/*
 * Call method on the daemon, starting it if nobody listens (unless
 * VENVD_AUTOSTART=0). Steals params. NULL with a message printed.
 */
json_t *
client_index_call(const char *method, json_t *params)
{
	return index_call(method, params, NULL, NULL);
}

static long long rec_int(json_t *, const char *);
static const char *rec_str(json_t *, const char *);

/* A "progress" notification for a watch or list asked with progress: draw it. */
static void
index_on_progress(const char *method, json_t *params, void *ctx)
{
	struct progress *p = ctx;
	const char *phase = rec_str(params, "phase"), *path;
	long long roots = rec_int(params, "roots");

	if (strcmp(method, VENVD_N_PROGRESS) != 0 || phase == NULL)
		return;
	if (strcmp(phase, "sizes") == 0) {
		progress_show(p, "venvd: measuring sizes: %lld of %lld venvs",
		    rec_int(params, "measured"), rec_int(params, "total"));
		return;
	}
	if (strcmp(phase, "scan") != 0)
		return;
	if ((path = rec_str(params, "path")) != NULL)
		progress_show(p, "venvd: scanning: %lld directories, %lld "
		    "venvs found (%s)", rec_int(params, "dirs"),
		    rec_int(params, "venvs"), path);
	else
		progress_show(p, "venvd: scanning %lld root%s: %lld "
		    "directories, %lld venvs found", roots, roots == 1 ? "" :
		    "s", rec_int(params, "dirs"), rec_int(params, "venvs"));
}

/*
 * Call method as client_index_call, asking for progress notifications
 * and drawing them on p when stderr is a terminal; the line is erased
 * before this returns.
 */
static json_t *
index_call_progress(const char *method, json_t *params, struct progress *p)
{
	json_t *r;

	if (!p->on)
		return client_index_call(method, params);
	if (params == NULL)
		params = json_object();
	json_object_set_new(params, "progress", json_true());
	r = index_call(method, params, index_on_progress, p);
	progress_clear(p);
	return r;
}

/* A string member, or NULL. */
static const char *
rec_str(json_t *rec, const char *key)
{
	json_t *v = json_object_get(rec, key);

	return json_is_string(v) ? json_string_value(v) : NULL;
}

/* An integer member, or -1 when absent or null. */
static long long
rec_int(json_t *rec, const char *key)
{
	json_t *v = json_object_get(rec, key);

	if (json_is_integer(v))
		return (long long)json_integer_value(v);
	if (json_is_real(v))
		return (long long)json_real_value(v);
	return -1;
}

/* When a venv was last used: last_activated, else last_seen; -1 unknown. */
static long long
venv_last_used(json_t *rec)
{
	long long t = rec_int(rec, "last_activated");

	return t >= 0 ? t : rec_int(rec, "last_seen");
}

/* Format bytes for people: 512B, 12K, 512M, 1.2G; "-" when unknown. */
void
human_size(char *out, size_t len, long long bytes)
{
	static const char units[] = "BKMGTPE";
	double v = (double)bytes;
	int u = 0;

	if (bytes < 0) {
		snprintf(out, len, "-");
		return;
	}
	while (v >= 1024 && units[u + 1] != '\0') {
		v /= 1024;
		u++;
	}
	if (u == 0)
		snprintf(out, len, "%lldB", bytes);
	else if (v < 10)
		snprintf(out, len, "%.1f%c", v, units[u]);
	else
		snprintf(out, len, "%.0f%c", v, units[u]);
}

/* Format a past time relative to now: "3 months ago", "never". */
static void
human_ago(char *out, size_t len, long long when, long long now)
{
	static const struct {
		long long secs;
		const char *name;
	} steps[] = {
		{ 365LL * 86400, "year" }, { 30LL * 86400, "month" },
		{ 7LL * 86400, "week" }, { 86400, "day" }, { 3600, "hour" },
		{ 60, "minute" }, { 0, NULL },
	};
	long long d = now - when, n;

	if (when < 0) {
		snprintf(out, len, "never");
		return;
	}
	for (int i = 0; steps[i].name != NULL; i++) {
		if (d >= steps[i].secs) {
			n = d / steps[i].secs;
			snprintf(out, len, "%lld %s%s ago", n, steps[i].name,
			    n == 1 ? "" : "s");
			return;
		}
	}
	snprintf(out, len, "just now");
}

/* Display width of s: one column per UTF-8 character (close enough). */
static size_t
text_width(const char *s)
{
	size_t w = 0, left = strlen(s), n;

	for (; left > 0; s += n, left -= n) {
		if ((n = utf8_char_len(s, left)) == 0)
			n = 1;
		w++;
	}
	return w;
}

/* A table of strings printed aligned (tty) or tab-separated (pipe). */
struct table {
	size_t	  ncols;
	size_t	  nrows;
	char	**cells;	/* nrows * ncols, escaped for a terminal */
};

/* Append a row of ncols strings (NULL shows "-"). */
static void
table_add(struct table *t, const char *const *row)
{
	struct buf b = BUF_INIT;

	t->cells = xrealloc(t->cells, (t->nrows + 1) * t->ncols *
	    sizeof *t->cells);
	for (size_t i = 0; i < t->ncols; i++) {
		b.len = 0;
		escape_controls(&b, row[i] != NULL ? row[i] : "-");
		t->cells[t->nrows * t->ncols + i] = xstrdup(b.data);
	}
	buf_free(&b);
	t->nrows++;
}

/* Print the table; header (may be NULL) and alignment only when aligned. */
static void
table_print(struct table *t, const char *const *header, int aligned)
{
	size_t *w = xcalloc(t->ncols, sizeof *w), i, r, n;

	if (aligned) {
		for (i = 0; i < t->ncols; i++) {
			w[i] = header != NULL ? strlen(header[i]) : 0;
			for (r = 0; r < t->nrows; r++) {
				n = text_width(t->cells[r * t->ncols + i]);
				if (n > w[i])
					w[i] = n;
			}
		}
		if (header != NULL && t->nrows > 0) {
			for (i = 0; i < t->ncols; i++)
				printf("%-*s%s", i + 1 < t->ncols ? (int)w[i] : 0,
				    header[i], i + 1 < t->ncols ? "  " : "\n");
		}
	}
	for (r = 0; r < t->nrows; r++) {
		for (i = 0; i < t->ncols; i++) {
			const char *c = t->cells[r * t->ncols + i];

			term_puts(stdout, c);
			if (i + 1 == t->ncols)
				break;
			if (!aligned) {
				fputc('\t', stdout);
				continue;
			}
			for (n = text_width(c); n < w[i] + 2; n++)
				fputc(' ', stdout);
		}
		fputc('\n', stdout);
	}
	for (i = 0; i < t->nrows * t->ncols; i++)
		free(t->cells[i]);
	free(t->cells);
	free(w);
	t->cells = NULL;
	t->nrows = 0;
}

/* Print a JSON value on one line. */
static void
print_json(json_t *v)
{
	char *text = rpc_dumps(v, JSON_COMPACT | JSON_PRESERVE_ORDER |
	    JSON_ENCODE_ANY);

	if (text != NULL)
		printf("%s\n", text);
	free(text);
}

/* Parse a non-negative integer option value; -1 if it is not one. */
static long long
parse_count(const char *s)
{
	char *end;
	long long v;

	if (s == NULL || *s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || *end != '\0' || v > 1000000000LL)
		return -1;
	return v;
}

/* Options of venvd list (and the selection gc and doctor reuse). */
struct list_opts {
	int	 json;
	int	 broken_only;
	long long stale_days;	/* -1: no filter */
	const char *sort;	/* "path", "size", "last-used" */
};

/* Does the record pass the filters (applied here too, for old daemons)? */
static int
list_keep(json_t *rec, const struct list_opts *o, long long now)
{
	const char *state = rec_str(rec, "state");
	long long used;

	if (o->broken_only && (state == NULL || strncmp(state, "broken", 6) != 0))
		return 0;
	if (o->stale_days >= 0) {
		used = venv_last_used(rec);
		if (used >= 0 && now - used < o->stale_days * 86400)
			return 0;
	}
	return 1;
}

static const char *sort_key;	/* for list_cmp */

/* qsort order of two records by sort_key, then path. */
static int
list_cmp(const void *a, const void *b)
{
	json_t *ra = *(json_t *const *)a, *rb = *(json_t *const *)b;
	const char *pa = rec_str(ra, "path"), *pb = rec_str(rb, "path");
	long long va, vb;

	if (strcmp(sort_key, "size") == 0) {
		va = rec_int(ra, "size_bytes");
		vb = rec_int(rb, "size_bytes");
		if (va != vb)
			return va < vb ? 1 : -1;	/* biggest first */
	} else if (strcmp(sort_key, "last-used") == 0) {
		va = venv_last_used(ra);
		vb = venv_last_used(rb);
		if (va != vb)
			return va < vb ? 1 : -1;	/* most recently used first */
	}
	return strcmp(pa != NULL ? pa : "", pb != NULL ? pb : "");
}

/*
 * Fetch the index with the options' filters, filtered and sorted here
 * as well. Returns a new array (or NULL, message printed).
 */
static json_t *
index_fetch(const struct list_opts *o, struct progress *p)
{
	json_t *params = json_object(), *r, *venvs, *rec, *out;
	long long now = time(NULL);
	json_t **v;
	size_t i, n = 0;

	if (o->broken_only)
		json_object_set_new(params, "broken_only", json_true());
	if (o->stale_days >= 0)
		json_object_set_new(params, "stale_days",
		    json_integer(o->stale_days));
	json_object_set_new(params, "sort", json_string(o->sort));
	r = p != NULL ? index_call_progress(VENVD_M_LIST, params, p) :
	    client_index_call(VENVD_M_LIST, params);
	if (r == NULL)
		return NULL;
	venvs = json_object_get(r, "venvs");
	if (!json_is_array(venvs)) {
		fprintf(stderr, "venvd: list: malformed answer from the daemon\n");
		json_decref(r);
		return NULL;
	}
	v = xcalloc(json_array_size(venvs) + 1, sizeof *v);
	json_array_foreach(venvs, i, rec) {
		if (json_is_object(rec) && rec_str(rec, "path") != NULL &&
		    list_keep(rec, o, now))
			v[n++] = rec;
	}
	sort_key = o->sort;
	qsort(v, n, sizeof *v, list_cmp);
	out = json_array();
	for (i = 0; i < n; i++)
		json_array_append(out, v[i]);
	free(v);
	json_decref(r);
	return out;
}

/* Parse "--sort X" values. */
static int
valid_sort(const char *s)
{
	return s != NULL && (strcmp(s, "path") == 0 || strcmp(s, "size") == 0 ||
	    strcmp(s, "last-used") == 0);
}

/*
 * venvd list [--json] [--broken] [--stale DAYS] [--sort size|last-used|path].
 * Columns: path, version, size, last used, state, project, manager (the
 * tool that keeps the venv; last, so scripts reading the first six keep
 * working). On a terminal
 * aligned with a header and sizes/times for people; piped, tab-separated
 * without a header, size in bytes and last used in unix seconds ("-"
 * when unknown), so scripts can rely on them. With stderr on a terminal
 * it waits for the roots being scanned and the sizes being measured,
 * showing progress.
 */
int
cmd_list(int argc, char **argv)
{
	static const char *const header[] = { "PATH", "VERSION", "SIZE",
	    "LAST USED", "STATE", "PROJECT", "MANAGER" };
	struct list_opts o = { .stale_days = -1, .sort = "path" };
	struct table t = { .ncols = 7 };
	struct progress p;
	long long now = time(NULL), used, size;
	char sz[32], ago[64];
	json_t *arr, *rec;
	int tty = isatty(STDOUT_FILENO);
	size_t i;

	for (int a = 1; a < argc; a++) {
		if (strcmp(argv[a], "--json") == 0)
			o.json = 1;
		else if (strcmp(argv[a], "--broken") == 0)
			o.broken_only = 1;
		else if (strcmp(argv[a], "--stale") == 0) {
			if ((o.stale_days = parse_count(a + 1 < argc ?
			    argv[a + 1] : NULL)) < 0)
				return usage_error("list", "--stale needs a number of days");
			a++;
		} else if (strcmp(argv[a], "--sort") == 0) {
			if (!valid_sort(a + 1 < argc ? argv[a + 1] : NULL))
				return usage_error("list", "--sort takes size, last-used or path");
			o.sort = argv[++a];
		} else if (argv[a][0] == '-')
			return usage_error("list", "unknown option %s", argv[a]);
		else
			return usage_error("list", "too many arguments");
	}
	progress_start(&p);
	if ((arr = index_fetch(&o, &p)) == NULL)
		return EXIT_NONE;
	if (o.json) {
		print_json(arr);
		json_decref(arr);
		return EXIT_OK;
	}
	json_array_foreach(arr, i, rec) {
		used = tty ? venv_last_used(rec) : rec_int(rec, "last_activated");
		size = rec_int(rec, "size_bytes");
		if (tty) {
			human_size(sz, sizeof sz, size);
			human_ago(ago, sizeof ago,
			    rec_int(rec, "last_activated"), now);
		} else {
			if (size >= 0)
				snprintf(sz, sizeof sz, "%lld", size);
			else
				snprintf(sz, sizeof sz, "-");
			if (used >= 0)
				snprintf(ago, sizeof ago, "%lld", used);
			else
				snprintf(ago, sizeof ago, "-");
		}
		const char *row[7] = { rec_str(rec, "path"),
		    rec_str(rec, "version"), sz, ago, rec_str(rec, "state"),
		    rec_str(rec, "project"), rec_str(rec, "manager") };
		table_add(&t, row);
	}
	if (tty && t.nrows == 0)
		printf("no venvs in the index\n");
	table_print(&t, header, tty);
	json_decref(arr);
	return EXIT_OK;
}

/* Parse the one DIR argument of forget/watch/unwatch, made absolute. */
static char *
dir_arg(const char *cmd, const char *given)
{
	char err[512], *dir;

	if ((dir = client_dir(given, err, sizeof err)) == NULL)
		fprintf(stderr, "venvd: %s: %s\n", cmd, err);
	return dir;
}

/* venvd forget PATH: drop a venv from the index (its files stay). */
int
cmd_forget(int argc, char **argv)
{
	json_t *r;
	char *path;
	int rc;

	if (argc != 2)
		return usage_error("forget", argc < 2 ? "which venv?" :
		    "too many arguments");
	if ((path = dir_arg("forget", argv[1])) == NULL)
		return EXIT_NONE;
	r = client_index_call(VENVD_M_FORGET, json_pack("{s:o}", "path",
	    rpc_path_to_json(path)));
	if (r == NULL) {
		free(path);
		return EXIT_NONE;
	}
	rc = json_is_true(json_object_get(r, "forgotten")) ? EXIT_OK : EXIT_NONE;
	fputs(rc == EXIT_OK ? "venvd: forgot " : "venvd: not in the index: ",
	    rc == EXIT_OK ? stdout : stderr);
	term_puts(rc == EXIT_OK ? stdout : stderr, path);
	fputs(rc == EXIT_OK ? " (its files are untouched)\n" : "\n",
	    rc == EXIT_OK ? stdout : stderr);
	json_decref(r);
	free(path);
	return rc;
}

/* Add one root object as a table row. */
static void
root_row(struct table *t, json_t *root)
{
	char depth[32], dirs[32], venvs[32];
	const char *state = rec_str(root, "state"), *reason = rec_str(root, "reason");
	struct buf st = BUF_INIT;

	snprintf(depth, sizeof depth, "%lld", rec_int(root, "depth"));
	snprintf(dirs, sizeof dirs, "%lld", rec_int(root, "dirs"));
	snprintf(venvs, sizeof venvs, "%lld", rec_int(root, "venvs"));
	buf_puts(&st, state != NULL ? state : "?");
	if (reason != NULL)
		buf_printf(&st, " (%s)", reason);
	const char *row[7] = { rec_str(root, "path"), depth,
	    json_is_true(json_object_get(root, "cross_fs")) ? "yes" : "no",
	    rec_str(root, "source"), st.data, dirs, venvs };
	table_add(t, row);
	buf_free(&st);
}

static const char *const root_header[] = { "ROOT", "DEPTH", "CROSS-FS",
    "SOURCE", "STATE", "DIRS", "VENVS" };

/* venvd roots [--json]: the discovery roots. */
int
cmd_roots(int argc, char **argv)
{
	struct table t = { .ncols = 7 };
	json_t *r, *roots, *root;
	int json = 0, tty = isatty(STDOUT_FILENO);
	size_t i;

	for (int a = 1; a < argc; a++) {
		if (strcmp(argv[a], "--json") == 0)
			json = 1;
		else if (argv[a][0] == '-')
			return usage_error("roots", "unknown option %s", argv[a]);
		else
			return usage_error("roots", "too many arguments");
	}
	if ((r = client_index_call(VENVD_M_ROOTS, NULL)) == NULL)
		return EXIT_NONE;
	roots = json_object_get(r, "roots");
	if (json)
		print_json(json_is_array(roots) ? roots : json_array());
	else {
		json_array_foreach(roots, i, root)
			root_row(&t, root);
		if (tty && t.nrows == 0)
			printf("no discovery roots (add one with: venvd watch DIR)\n");
		table_print(&t, root_header, tty);
	}
	json_decref(r);
	return EXIT_OK;
}

/*
 * venvd watch DIR [--depth N] [--cross-fs]: add a discovery root. With
 * stderr on a terminal it waits for the scan, showing progress.
 */
int
cmd_watch(int argc, char **argv)
{
	struct table t = { .ncols = 7 };
	struct progress p;
	const char *given = NULL;
	long long depth = -1;
	int cross = 0;
	json_t *params, *r;
	char *dir;

	for (int a = 1; a < argc; a++) {
		if (strcmp(argv[a], "--depth") == 0) {
			if ((depth = parse_count(a + 1 < argc ? argv[a + 1] :
			    NULL)) < 0)
				return usage_error("watch", "--depth needs a number");
			a++;
		} else if (strcmp(argv[a], "--cross-fs") == 0)
			cross = 1;
		else if (argv[a][0] == '-' && argv[a][1] != '\0')
			return usage_error("watch", "unknown option %s", argv[a]);
		else if (given != NULL)
			return usage_error("watch", "too many arguments");
		else
			given = argv[a];
	}
	if (given == NULL)
		return usage_error("watch", "which directory?");
	if ((dir = dir_arg("watch", given)) == NULL)
		return EXIT_NONE;
	params = json_pack("{s:o}", "path", rpc_path_to_json(dir));
	if (depth >= 0)
		json_object_set_new(params, "depth", json_integer(depth));
	if (cross)
		json_object_set_new(params, "cross_fs", json_true());
	free(dir);
	progress_start(&p);
	if ((r = index_call_progress(VENVD_M_WATCH, params, &p)) == NULL)
		return EXIT_NONE;
	if (json_is_object(json_object_get(r, "root"))) {
		root_row(&t, json_object_get(r, "root"));
		table_print(&t, root_header, isatty(STDOUT_FILENO));
	}
	json_decref(r);
	return EXIT_OK;
}

/* venvd unwatch DIR: remove a discovery root (the index keeps its venvs). */
int
cmd_unwatch(int argc, char **argv)
{
	json_t *r;
	char *dir;
	int rc;

	if (argc != 2)
		return usage_error("unwatch", argc < 2 ? "which directory?" :
		    "too many arguments");
	if ((dir = dir_arg("unwatch", argv[1])) == NULL)
		return EXIT_NONE;
	if ((r = client_index_call(VENVD_M_UNWATCH, json_pack("{s:o}", "path",
	    rpc_path_to_json(dir)))) == NULL) {
		free(dir);
		return EXIT_NONE;
	}
	rc = json_is_true(json_object_get(r, "removed")) ? EXIT_OK : EXIT_NONE;
	fputs(rc == EXIT_OK ? "venvd: no longer watching " :
	    "venvd: not a root: ", rc == EXIT_OK ? stdout : stderr);
	term_puts(rc == EXIT_OK ? stdout : stderr, dir);
	fputs("\n", rc == EXIT_OK ? stdout : stderr);
	json_decref(r);
	free(dir);
	return rc;
}

/* ---- gc ---------------------------------------------------------------- */

/* Inodes seen by the size walk: dev, ino, links seen, links in all, blocks. */
struct inode_seen {
	dev_t	 dev;
	ino_t	 ino;
	nlink_t	 seen;
	nlink_t	 nlink;
	long long bytes;
};

struct size_walk {
	struct inode_seen *v;
	size_t	 n, cap;
	long long single;	/* bytes of inodes with one link */
	int	 errors;
	struct progress *p;	/* gc's progress line, or NULL */
	size_t	 venv, nvenvs;	/* which venv of how many (for it) */
};

/* Say how far gc's measuring has got (throttled by progress_show). */
static void
size_walk_progress(struct size_walk *w)
{
	char sz[32];

	if (w->p == NULL || !progress_due(w->p))
		return;
	human_size(sz, sizeof sz, w->single);
	progress_show(w->p, "venvd: measuring venv %zu of %zu: %s", w->venv,
	    w->nvenvs, sz);
}

/* Note a multiply-linked inode. */
static void
size_walk_link(struct size_walk *w, const struct stat *st)
{
	for (size_t i = 0; i < w->n; i++) {
		if (w->v[i].dev == st->st_dev && w->v[i].ino == st->st_ino) {
			w->v[i].seen++;
			return;
		}
	}
	if (w->n == w->cap) {
		w->cap = w->cap ? w->cap * 2 : 64;
		w->v = xrealloc(w->v, w->cap * sizeof *w->v);
	}
	w->v[w->n++] = (struct inode_seen){ st->st_dev, st->st_ino, 1,
	    st->st_nlink, (long long)st->st_blocks * 512 };
}

/* Count the tree under dirfd (on device dev), never following symlinks. */
static void
size_walk_dir(struct size_walk *w, int dirfd, dev_t dev, int depth)
{
	struct dirent *de;
	struct stat st;
	DIR *d;
	int fd;

	if (depth > 256 || (d = fdopendir(dirfd)) == NULL) {
		close(dirfd);
		w->errors++;
		return;
	}
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (fstatat(dirfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) == -1) {
			w->errors++;
			continue;
		}
		if (S_ISDIR(st.st_mode)) {
			w->single += (long long)st.st_blocks * 512;
			if (st.st_dev != dev)
				continue;
			fd = openat(dirfd, de->d_name, O_RDONLY | O_DIRECTORY |
			    O_NOFOLLOW | O_CLOEXEC);
			if (fd == -1)
				w->errors++;
			else
				size_walk_dir(w, fd, dev, depth + 1);
		} else if (st.st_nlink > 1)
			size_walk_link(w, &st);
		else
			w->single += (long long)st.st_blocks * 512;
		size_walk_progress(w);
	}
	closedir(d);
}

/*
 * Bytes deleting all walked trees frees: single-link inodes, and
 * multiply-linked inodes only when every link was inside (counted once).
 */
static long long
size_walk_freed(const struct size_walk *w)
{
	long long total = w->single;

	for (size_t i = 0; i < w->n; i++) {
		if (w->v[i].seen >= w->v[i].nlink)
			total += w->v[i].bytes;
	}
	return total;
}

/* A gc candidate and the verdict on it. */
struct gc_item {
	json_t	*rec;
	const char *path;
	const char *refusal;	/* NULL: may be deleted */
	char	 why[256];
	long long bytes;	/* freed by deleting this one alone */
	dev_t	 dev;
	ino_t	 ino;
};

/* Is path equal to or inside dir (both absolute, clean)? */
static int
path_within(const char *path, const char *dir)
{
	size_t n = strlen(dir);

	if (n == 1 && dir[0] == '/')
		return 1;
	return strncmp(path, dir, n) == 0 && (path[n] == '/' || path[n] == '\0');
}

/* Is path strictly inside one of the roots (compared on resolved paths too)? */
static int
inside_a_root(const char *path, json_t *roots)
{
	char rp[PATH_MAX], rr[PATH_MAX];
	json_t *root;
	size_t i;
	const char *rpath;

	if (realpath(path, rp) == NULL)
		return 0;
	json_array_foreach(roots, i, root) {
		if ((rpath = rec_str(root, "path")) == NULL)
			continue;
		if (realpath(rpath, rr) == NULL)
			continue;
		if (path_within(path, rpath) && strcmp(path, rpath) != 0 &&
		    path_within(rp, rr) && strcmp(rp, rr) != 0)
			return 1;
	}
	return 0;
}

/* Judge one candidate (number i of n): fill refusal/why, dev/ino and its size. */
static void
gc_judge(struct gc_item *it, json_t *roots, struct progress *p, size_t i,
    size_t n)
{
	const char *ve = getenv("VIRTUAL_ENV");
	struct size_walk w = { .p = p, .venv = i + 1, .nvenvs = n };
	struct stat st, cfg, vst;
	int fd;

	it->bytes = -1;
	if (it->path[0] != '/') {
		it->refusal = "not an absolute path";
		return;
	}
	if (lstat(it->path, &st) == -1) {
		snprintf(it->why, sizeof it->why, "cannot stat: %s (venvd forget "
		    "drops it from the index)", strerror(errno));
		it->refusal = it->why;
		return;
	}
	if (S_ISLNK(st.st_mode)) {
		it->refusal = "is a symlink, not a venv";
		return;
	}
	if (!S_ISDIR(st.st_mode)) {
		it->refusal = "is not a directory";
		return;
	}
	it->dev = st.st_dev;
	it->ino = st.st_ino;
	fd = open(it->path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd == -1) {
		snprintf(it->why, sizeof it->why, "cannot open: %s", strerror(errno));
		it->refusal = it->why;
		return;
	}
	if (fstatat(fd, "pyvenv.cfg", &cfg, AT_SYMLINK_NOFOLLOW) == -1 ||
	    !S_ISREG(cfg.st_mode)) {
		close(fd);
		it->refusal = "has no pyvenv.cfg, not a venv";
		return;
	}
	if (!inside_a_root(it->path, roots)) {
		close(fd);
		it->refusal = "is outside every discovery root (venvd roots)";
		return;
	}
	if (ve != NULL && ve[0] != '\0' && (strcmp(ve, it->path) == 0 ||
	    (stat(ve, &vst) == 0 && vst.st_dev == st.st_dev &&
	    vst.st_ino == st.st_ino))) {
		close(fd);
		it->refusal = "is the active venv ($VIRTUAL_ENV)";
		return;
	}
	w.single = (long long)st.st_blocks * 512;
	size_walk_dir(&w, fd, st.st_dev, 0);
	it->bytes = size_walk_freed(&w);
	free(w.v);
}

/* What gc's deletion has freed so far, for its progress line. */
struct gc_freeing {
	struct progress *p;
	long long freed;	/* bytes: inodes whose last link went, directories */
	long long total;	/* what the whole run frees */
	int	 deleted;	/* venvs deleted */
	int	 ndel;		/* of how many */
};

/* Count st's blocks as freed if removing it freed them; maybe redraw. */
static void
gc_freed(struct gc_freeing *f, const struct stat *st)
{
	char a[32], b[32];

	if (S_ISDIR(st->st_mode) || st->st_nlink <= 1)
		f->freed += (long long)st->st_blocks * 512;
	if (!progress_due(f->p))
		return;
	human_size(a, sizeof a, f->freed < f->total ? f->freed : f->total);
	human_size(b, sizeof b, f->total);
	progress_show(f->p, "venvd: deleting: %s of %s freed, %d of %d venvs "
	    "deleted", a, b, f->deleted, f->ndel);
}

/* Remove everything under dirfd on device dev, never following symlinks. */
static int
remove_tree(int dirfd, dev_t dev, const char *where, int depth,
    struct gc_freeing *f)
{
	struct dirent *de;
	struct stat st;
	DIR *d;
	int fd, rc = 0;

	if (depth > 256 || (d = fdopendir(dirfd)) == NULL) {
		progress_clear(f->p);
		fprintf(stderr, "venvd: %s: too deep or unreadable\n", where);
		close(dirfd);
		return -1;
	}
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (fstatat(dirfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) == -1) {
			rc = -1;
			continue;
		}
		if (S_ISDIR(st.st_mode)) {
			if (st.st_dev != dev) {
				progress_clear(f->p);
				fprintf(stderr, "venvd: %s/%s is another filesystem; "
				    "left alone\n", where, de->d_name);
				rc = -1;
				continue;
			}
			fd = openat(dirfd, de->d_name, O_RDONLY | O_DIRECTORY |
			    O_NOFOLLOW | O_CLOEXEC);
			if (fd == -1 || remove_tree(fd, dev, where, depth + 1,
			    f) == -1 || unlinkat(dirfd, de->d_name,
			    AT_REMOVEDIR) == -1)
				rc = -1;
			else
				gc_freed(f, &st);
		} else if (unlinkat(dirfd, de->d_name, 0) == -1)
			rc = -1;
		else
			gc_freed(f, &st);
	}
	closedir(d);
	return rc;
}

/* Delete the venv it names, checking it is still the directory judged. */
static int
gc_delete(const struct gc_item *it, struct gc_freeing *f)
{
	char *parent = xstrdup(it->path), *slash = strrchr(parent, '/');
	const char *base = it->path + (slash - parent) + 1;
	struct stat st;
	int pfd, fd, rc = -1;

	*slash = '\0';
	pfd = open(slash == parent ? "/" : parent, O_RDONLY | O_DIRECTORY |
	    O_CLOEXEC);
	if (pfd == -1)
		goto out;
	fd = openat(pfd, base, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd == -1 || fstat(fd, &st) == -1 || st.st_dev != it->dev ||
	    st.st_ino != it->ino) {
		progress_clear(f->p);
		fprintf(stderr, "venvd: ");
		term_puts(stderr, it->path);
		fprintf(stderr, " changed since it was checked; left alone\n");
		if (fd != -1)
			close(fd);
		close(pfd);
		goto out;
	}
	if (remove_tree(fd, st.st_dev, it->path, 0, f) == 0 &&
	    unlinkat(pfd, base, AT_REMOVEDIR) == 0) {
		gc_freed(f, &st);
		rc = 0;
	} else {
		progress_clear(f->p);
		fprintf(stderr, "venvd: could not remove all of ");
		term_puts(stderr, it->path);
		fprintf(stderr, "\n");
	}
	close(pfd);
out:
	free(parent);
	return rc;
}

/* Ask on the terminal; 1 for yes. */
static int
confirm(const char *question)
{
	char line[64];

	fputs(question, stdout);
	fflush(stdout);
	if (fgets(line, sizeof line, stdin) == NULL)
		return 0;
	return line[0] == 'y' || line[0] == 'Y';
}

/*
 * venvd gc --stale DAYS [--dry-run] [--yes]. With stderr on a terminal,
 * measuring and deleting show progress (bytes freed of the total).
 */
int
cmd_gc(int argc, char **argv)
{
	struct list_opts o = { .stale_days = -1, .sort = "last-used" };
	struct gc_item *items;
	struct size_walk all = { 0 };
	struct gc_freeing f = { 0 };
	struct progress p;
	json_t *arr, *rr, *roots, *rec;
	long long now = time(NULL), total;
	int dry = 0, yes = 0, ndel = 0, failed = 0;
	char sz[32], ago[64], q[128];
	size_t i, n;

	for (int a = 1; a < argc; a++) {
		if (strcmp(argv[a], "--stale") == 0) {
			if ((o.stale_days = parse_count(a + 1 < argc ?
			    argv[a + 1] : NULL)) < 0)
				return usage_error("gc", "--stale needs a number of days");
			a++;
		} else if (strcmp(argv[a], "--dry-run") == 0 || strcmp(argv[a], "-n") == 0)
			dry = 1;
		else if (strcmp(argv[a], "--yes") == 0 || strcmp(argv[a], "-y") == 0)
			yes = 1;
		else if (argv[a][0] == '-')
			return usage_error("gc", "unknown option %s", argv[a]);
		else
			return usage_error("gc", "too many arguments");
	}
	if (o.stale_days < 0)
		return usage_error("gc", "--stale DAYS is required");
	if (!yes && !isatty(STDIN_FILENO))
		dry = 1;
	progress_start(&p);
	if ((rr = client_index_call(VENVD_M_ROOTS, NULL)) == NULL)
		return EXIT_NONE;
	roots = json_object_get(rr, "roots");
	if ((arr = index_fetch(&o, NULL)) == NULL) {
		json_decref(rr);
		return EXIT_NONE;
	}
	n = json_array_size(arr);
	items = xcalloc(n + 1, sizeof *items);
	json_array_foreach(arr, i, rec) {
		items[i].rec = rec;
		items[i].path = rec_str(rec, "path");
		gc_judge(&items[i], roots, &p, i, n);
	}
	/* The total: hard links shared between deleted venvs count once. */
	all.p = &p;
	all.nvenvs = n;
	for (i = 0; i < n; i++) {
		all.venv = i + 1;
		int fd;

		if (items[i].refusal != NULL)
			continue;
		fd = open(items[i].path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
		    O_CLOEXEC);
		if (fd != -1) {
			struct stat st;

			if (fstat(fd, &st) == 0)
				all.single += (long long)st.st_blocks * 512;
			size_walk_dir(&all, fd, items[i].dev, 0);
		}
		ndel++;
	}
	total = size_walk_freed(&all);
	free(all.v);
	progress_clear(&p);
	if (n == 0)
		printf("venvd: no venv unused for %lld days\n", o.stale_days);
	for (i = 0; i < n; i++) {
		human_size(sz, sizeof sz, items[i].bytes >= 0 ? items[i].bytes :
		    rec_int(items[i].rec, "size_bytes"));
		if (rec_int(items[i].rec, "last_activated") >= 0) {
			snprintf(ago, sizeof ago, "last used ");
			human_ago(ago + 10, sizeof ago - 10,
			    rec_int(items[i].rec, "last_activated"), now);
		} else {
			snprintf(ago, sizeof ago, "never used, seen ");
			human_ago(ago + 17, sizeof ago - 17,
			    rec_int(items[i].rec, "last_seen"), now);
		}
		fputs(items[i].refusal == NULL ? (dry ? "would delete  " :
		    "delete  ") : "refuse  ", stdout);
		term_puts(stdout, items[i].path);
		printf("  %s  %s", sz, ago);
		if (items[i].refusal != NULL) {
			fputs(": ", stdout);
			term_puts(stdout, items[i].refusal);
		}
		fputs("\n", stdout);
	}
	human_size(sz, sizeof sz, total);
	if (ndel > 0)
		printf("total: %d venv%s, %s (%lld bytes)\n", ndel,
		    ndel == 1 ? "" : "s", sz, total);
	if (ndel > 0 && dry)
		printf("dry run: nothing deleted%s\n", !yes && !isatty(STDIN_FILENO) ?
		    " (stdin is not a terminal; --yes deletes)" : "");
	if (ndel > 0 && !dry && !yes) {
		snprintf(q, sizeof q, "Delete %d venv%s, freeing %s? [y/N] ",
		    ndel, ndel == 1 ? "" : "s", sz);
		if (!confirm(q)) {
			printf("venvd: nothing deleted\n");
			dry = 1;
		}
	}
	/* Work from here on is timed afresh: the question took its time. */
	progress_start(&p);
	f.p = &p;
	f.total = total;
	f.ndel = ndel;
	for (i = 0; i < n && !dry; i++) {
		if (items[i].refusal != NULL)
			continue;
		if (gc_delete(&items[i], &f) == -1) {
			failed = 1;
			continue;
		}
		f.deleted++;
		json_decref(client_index_call(VENVD_M_FORGET, json_pack("{s:o}",
		    "path", rpc_path_to_json(items[i].path))));
		progress_clear(&p);
		fputs("deleted ", stdout);
		term_puts(stdout, items[i].path);
		fputs("\n", stdout);
	}
	progress_clear(&p);
	if (ndel > 0 && !dry && !failed)
		printf("freed %s (%lld bytes)\n", sz, total);
	free(items);
	json_decref(arr);
	json_decref(rr);
	return failed ? EXIT_NONE : EXIT_OK;
}
