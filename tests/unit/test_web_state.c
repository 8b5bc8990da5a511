/* web_state and web_watch without TLS: files refused at load (world-writable,
 * not regular, missing certificate named by its key), and reloads: a changed
 * file is picked up by the first look a second after the last one (on a
 * fake clock), a broken one keeps the previous state, a forced reload
 * re-reads at once, and a state in use outlives its replacement. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "http/web_state.h"
#include "fixture_tree.h"

#define HASH "$2y$04$oGzqgE6Cd/RppFFxEor4NO5/tpT1Zt3Tw51oW/Sbl63DRPPs6rHy2"

static struct fixture_tree tree;
static char path[128];

/* Replaced by a rename, as a deployment tool would: a new inode. */
static void put(const char *text, mode_t mode)
{
	ftree_replace(&tree, "web.yml", text, mode);
}

/* The watch's clock: seconds that pass only when the test says so. */
static double fake_now;

static double fake_clock(void)
{
	return fake_now;
}

static int setup(void **state)
{
	(void)state;
	ftree_init(&tree);
	ftree_path(&tree, path, sizeof(path), "web.yml");
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	ftree_fini(&tree);
	return 0;
}

static int load(struct strbuf *err)
{
	struct web_state *st = NULL;
	int rc;

	sb_reset(err);
	rc = web_state_load(path, &st, err);
	web_state_free(st);
	return rc;
}

static void refused(void **state)
{
	struct strbuf err;

	(void)state;
	sb_init(&err);
	put("basic_auth_users:\n  alice: " HASH "\n", 0666);
	assert_int_equal(load(&err), -EACCES);
	assert_non_null(strstr(err.buf, "world-writable"));
	put("basic_auth_users:\n  alice: " HASH "\n", 0644);
	assert_int_equal(load(&err), 0);
	put("tls_server_config:\n  cert_file: nothere.crt\n  key_file: k\n", 0644);
	assert_int_equal(load(&err), -ENOENT);
	assert_non_null(strstr(err.buf, "tls_server_config.cert_file: cannot read"));
	assert_non_null(strstr(err.buf, "/nothere.crt")); /* relative to the file's directory */
	put("tls_server_config:\n  cert_file: /\n  key_file: k\n", 0644);
	assert_int_equal(load(&err), -EINVAL);
	assert_non_null(strstr(err.buf, "is not a regular file"));
	sb_fini(&err);
}

static bool has_user(struct web_state *st, const char *name)
{
	for (size_t i = 0; i < st->cfg.nusers; i++)
		if (!strcmp(st->cfg.users[i].name, name))
			return true;
	return false;
}

static void reloads(void **state)
{
	struct web_state *st, *held, *cur;
	struct web_watch *w;
	struct strbuf err;

	(void)state;
	sb_init(&err);
	put("basic_auth_users:\n  alice: " HASH "\n", 0644);
	assert_int_equal(web_state_load(path, &st, &err), 0);
	fake_now = 1000.0;
	w = web_watch_new_clock(path, st, fake_clock);
	assert_non_null(w);
	held = web_watch_current(w);
	assert_true(has_user(held, "alice"));
	/* Unchanged: a forced reload (SIGHUP) re-reads even so. */
	assert_int_equal(web_watch_reload(w), 0);
	/* Changed: not looked at before a second has passed, picked up once
	 * it has. */
	put("basic_auth_users:\n  bob: " HASH "\n", 0644);
	fake_now += 0.75;
	cur = web_watch_current(w);
	assert_true(has_user(cur, "alice"));
	web_watch_put(w, cur);
	fake_now += 0.25;
	cur = web_watch_current(w);
	assert_true(has_user(cur, "bob"));
	assert_false(has_user(cur, "alice"));
	web_watch_put(w, cur);
	/* The state held from before is still whole. */
	assert_true(has_user(held, "alice"));
	web_watch_put(w, held);
	/* Broken: the previous state stays. */
	put("basic_auth_users:\n  carol: not-a-hash\n", 0644);
	assert_true(web_watch_reload(w) < 0);
	cur = web_watch_current(w);
	assert_true(has_user(cur, "bob"));
	web_watch_put(w, cur);
	/* A TLS config (whose files do not even exist): refused, previous state stays. */
	put("tls_server_config:\n  cert_file: a\n  key_file: b\n", 0644);
	assert_true(web_watch_reload(w) < 0);
	cur = web_watch_current(w);
	assert_true(has_user(cur, "bob"));
	web_watch_put(w, cur);
	web_watch_free(w);
	sb_fini(&err);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(refused),
		cmocka_unit_test(reloads),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
