/*
 * explore/trail.c - trails ("C:S", see sched.h) to and from text, and a
 * run's step-by-step trace
 */
#include <stdlib.h>
#include <string.h>

#include "explore/sched.h"
#include "lib/util.h"

const char ex_trail_sig_chars[] = "0123456789abcdefghjkmnpqrstvwxyz";

char *ex_trail_string(const struct ex_run *r)
{
	struct sbuf sb;

	sbuf_init(&sb);
	for (int i = 0; i < r->nr_dec;) {
		int j = i;

		while (j < r->nr_dec && r->dec[j].chosen == r->dec[i].chosen)
			j++;
		sbuf_printf(&sb, "%s%d", i ? "." : "", r->dec[i].chosen + 1);
		if (j - i > 1)
			sbuf_printf(&sb, "x%d", j - i);
		i = j;
	}
	sbuf_printf(&sb, ":");
	for (int i = 0; i < r->nr_dec; i++)
		sbuf_printf(&sb, "%c", r->dec[i].sig);
	return sbuf_detach(&sb);
}

/* Parse "C:S"; returns an error message or NULL. */
const char *ex_trail_parse(const char *trail, int nr_threads, uint8_t **choices, int *n,
			       char **sigs)
{
	const char *p = trail;
	int cap = 64;

	*n = 0;
	*sigs = NULL;
	*choices = xmalloc((size_t)cap);
	while (*p && *p != ':') {
		char *end;
		long t = strtol(p, &end, 10), rep = 1;

		if (end == p || t < 1 || t > nr_threads)
			return "a thread number between 1 and the number of threads was expected";
		p = end;
		if (*p == 'x') {
			rep = strtol(p + 1, &end, 10);
			if (end == p + 1 || rep < 1 || rep > 10000000)
				return "a repeat count was expected after 'x'";
			p = end;
		}
		if (*p == '.')
			p++;
		else if (*p && *p != ':')
			return "'.', ':' or the end was expected after a choice";
		while (rep--) {
			if (*n == cap) {
				cap *= 2;
				*choices = xrealloc(*choices, (size_t)cap);
			}
			(*choices)[(*n)++] = (uint8_t)(t - 1);
		}
	}
	if (*p == ':') {
		p++;
		if (*p && (int)strlen(p) != *n)
			return "the signature has a different number of characters than there are choices";
		for (const char *q = p; *q; q++)
			if (!strchr(ex_trail_sig_chars, *q))
				return "the signature has a character that no trail contains";
		*sigs = *p ? xstrdup(p) : NULL;
	}
	return NULL;
}

void ex_trace_format(const struct ex_program *prog, const struct ex_run *r, struct sbuf *sb)
{
	const char *last_stmt[EX_MAX_THREADS] = { 0 };

	sbuf_printf(sb, "  step  thread      event\n");
	for (int i = 0; i < r->nr_steps; i++) {
		const struct ex_step *st = &r->steps[i];
		const char *name = prog->names[st->thread];

		if (st->stmt && st->stmt != last_stmt[st->thread] && st->ev != EX_EV_STMT)
			sbuf_printf(sb, "  %4s  %-10s  | in: %s\n", "", name, st->stmt);
		last_stmt[st->thread] = st->stmt;
		sbuf_printf(sb, "  %4d%c %-10s  ", i + 1, st->preemption ? '*' : ' ', name);
		if (st->took)
			sbuf_printf(sb, "took %s; ", st->took_class ? st->took_class->name : "the lock");
		switch (st->ev) {
		case EX_EV_ACQUIRE:
			sbuf_printf(sb, "-> about to take %s in %s", st->class->name, st->what);
			break;
		case EX_EV_RELEASE:
			sbuf_printf(sb, "released %s in %s", st->class->name, st->what);
			break;
		case EX_EV_DOWNGRADE:
			sbuf_printf(sb, "downgraded %s to read in %s", st->class->name, st->what);
			break;
		case EX_EV_WAIT:
			sbuf_printf(sb, "-> about to wait for %s to be unlocked in %s", st->class->name,
				    st->what);
			break;
		case EX_EV_BLOCK:
			sbuf_printf(sb, "sleeps on %s (%s) in %s%s%s", st->class->name,
				    st->mode == EX_SHARED ? "read" : "write", st->what,
				    st->holder >= 0 ? ", held by " : "",
				    st->holder >= 0 ? prog->names[st->holder] : "");
			break;
		case EX_EV_POINT:
			sbuf_printf(sb, "at %s", st->what);
			break;
		case EX_EV_ATOMIC:
			sbuf_printf(sb, "at atomic %s", st->what);
			break;
		case EX_EV_STMT:
			sbuf_printf(sb, "-> starts: %s", st->what);
			break;
		case EX_EV_DONE:
			sbuf_printf(sb, "finished");
			break;
		default:
			sbuf_printf(sb, "%s", ex_event_name(st->ev));
		}
		if (st->ctx_fn && st->ev != EX_EV_STMT && st->ev != EX_EV_DONE)
			sbuf_printf(sb, " [%s 0x%lx]", st->ctx_fn, st->ctx_addr);
		if (i == r->violation_step)
			sbuf_printf(sb, "   <== %s", ex_kind_name(r->violation.kind));
		sbuf_printf(sb, "\n");
	}
	sbuf_printf(sb, "  (* marks a preemption)\n");
}
