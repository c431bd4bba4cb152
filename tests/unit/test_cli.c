/*
 * tests/unit/test_cli.c - the rmaplab command: exit codes, --help,
 * --version, --json (a syntax check of the document), --variant errors
 *
 * Runs the binary named by $RMAPLAB (the Makefile sets it to the build's).
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "lib/util.h"
#include "tests/test.h"

static const char *bin(void)
{
	const char *b = getenv("RMAPLAB");

	return b ? b : "build/rmaplab";
}

/* Run `rmaplab ARGS`; returns the exit code, the output (stdout+stderr) in *out. */
static int run(const char *args, char **out)
{
	char *cmd = xasprintf("%s %s 2>&1", bin(), args);
	FILE *p = popen(cmd, "r");
	struct sbuf sb;
	int c, status;

	T_ASSERT(p);
	sbuf_init(&sb);
	while ((c = fgetc(p)) != EOF)
		sbuf_putc(&sb, (char)c);
	status = pclose(p);
	free(cmd);
	*out = sbuf_detach(&sb);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	T_ASSERT(f);
	fputs(text, f);
	fclose(f);
}

static void write_files(void)
{
	write_file("build/cli-pass.scn", "init\n  proc P\n  a = mmap P any 4K rw private\n");
	write_file("build/cli-fail.scn", "init\n  proc P\n  a = mmap P any 4K rw private\n"
		   "  read P a 1 == \"x\"\n");
	write_file("build/cli-bad.scn", "init\n  proc P\n  mmap P any 4K rwz private\n");
	write_file("build/cli-later.scn", "init\n  proc P\n  compact\n");
}

TEST(cli_exit_codes)
{
	char *out;

	write_files();
	T_EQ(run("run build/cli-pass.scn", &out), 0);
	T_ASSERT(strstr(out, "PASS"));
	free(out);
	T_EQ(run("run build/cli-fail.scn", &out), 1);
	T_ASSERT(strstr(out, "FAIL") && strstr(out, "expect"));
	free(out);
	T_EQ(run("run build/cli-bad.scn", &out), 2);
	T_ASSERT(strstr(out, "build/cli-bad.scn:3:17: error:"));
	free(out);
	T_EQ(run("run build/cli-later.scn", &out), 3);
	T_ASSERT(strstr(out, "not implemented"));
	free(out);
	T_EQ(run("run build/no-such-file.scn", &out), 2);
	free(out);
	/* the worst outcome of several files decides */
	T_EQ(run("run --quiet build/cli-pass.scn build/cli-fail.scn", &out), 1);
	free(out);
}

TEST(cli_usage_errors)
{
	char *out;

	write_files();
	T_EQ(run("", &out), 2);
	free(out);
	T_EQ(run("frobnicate", &out), 2);
	T_ASSERT(strstr(out, "unknown command"));
	free(out);
	T_EQ(run("run", &out), 2);
	free(out);
	T_EQ(run("run --bogus build/cli-pass.scn", &out), 2);
	free(out);
	T_EQ(run("run --variant nosuch=x build/cli-pass.scn", &out), 2);
	T_ASSERT(strstr(out, "anon_walk"));	/* lists the valid keys */
	free(out);
	T_EQ(run("run --variant anon_walk=sideways build/cli-pass.scn", &out), 2);
	T_ASSERT(strstr(out, "oldest_first, newest_first"));
	free(out);
	T_EQ(run("run --variant truncate_unmap=once build/cli-pass.scn", &out), 0);
	T_ASSERT(strstr(out, "truncate_unmap=once"));
	free(out);
}

TEST(cli_help_and_version)
{
	char *out;

	T_EQ(run("--help", &out), 0);
	T_ASSERT(strstr(out, "usage: rmaplab run FILE"));
	T_ASSERT(strstr(out, "--trace") && strstr(out, "--json") && strstr(out, "exit status"));
	free(out);
	T_EQ(run("--version", &out), 0);
	T_ASSERT(strstr(out, "rmaplab 0."));
	free(out);
}

/* A small JSON syntax checker: enough to say the document is well formed. */
static const char *json_value(const char *p);

static const char *ws(const char *p)
{
	while (*p && isspace((unsigned char)*p))
		p++;
	return p;
}

static const char *json_string(const char *p)
{
	if (*p != '"')
		return NULL;
	for (p++; *p && *p != '"'; p++) {
		if ((unsigned char)*p < 0x20)
			return NULL;
		if (*p == '\\') {
			p++;
			if (!*p || !strchr("\"\\/bfnrtu", *p))
				return NULL;
		}
	}
	return *p == '"' ? p + 1 : NULL;
}

static const char *json_value(const char *p)
{
	p = ws(p);
	if (*p == '"')
		return json_string(p);
	if (*p == '{' || *p == '[') {
		char close = *p == '{' ? '}' : ']';

		p = ws(p + 1);
		if (*p == close)
			return p + 1;
		for (;;) {
			if (close == '}') {
				p = json_string(ws(p));
				if (!p || *(p = ws(p)) != ':')
					return NULL;
				p++;
			}
			p = json_value(p);
			if (!p)
				return NULL;
			p = ws(p);
			if (*p == close)
				return p + 1;
			if (*p != ',')
				return NULL;
			p++;
		}
	}
	if (!strncmp(p, "null", 4) || !strncmp(p, "true", 4))
		return p + 4;
	if (!strncmp(p, "false", 5))
		return p + 5;
	if (*p == '-' || isdigit((unsigned char)*p)) {
		p++;
		while (isdigit((unsigned char)*p) || strchr(".eE+-", *p))
			p++;
		return p;
	}
	return NULL;
}

TEST(cli_json_is_well_formed)
{
	const char *const files[] = { "build/cli-pass.scn", "build/cli-fail.scn",
				      "build/cli-later.scn", "scenarios/fork-cow.scn" };
	char *out, *cmd;

	write_files();
	/* the checker itself can fail */
	T_ASSERT(!json_value("{\"a\": }") && !json_value("[1,]") && !json_value("\"x\ny\""));
	T_ASSERT(json_value("{\"a\": [1, \"b\", null]}"));
	for (size_t i = 0; i < ARRAY_SIZE(files); i++) {
		const char *end;

		cmd = xasprintf("run --json %s", files[i]);
		run(cmd, &out);
		end = json_value(out);
		if (!end || *ws(end))
			t_fail(__FILE__, __LINE__, "%s: not one JSON document:\n%s", files[i], out);
		T_ASSERT(strstr(out, "\"scenario\"") && strstr(out, "\"steps\"") &&
			 strstr(out, "\"violation\""));
		free(out);
		free(cmd);
	}
	run("run --json build/cli-fail.scn", &out);
	T_ASSERT(strstr(out, "\"kind\": \"expect\""));
	free(out);
}
