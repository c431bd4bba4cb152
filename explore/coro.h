/*
 * explore/coro.h - coroutines: the explorer's simulated threads
 *
 * A coroutine is a function running on its own stack; ex_coro_switch()
 * saves the callee-saved registers of the running context and resumes
 * another.  Exactly one context runs at a time, so the model needs no
 * synchronisation in explore mode.  On x86-64 the switch is a dozen
 * instructions (see tests/unit/test_coro.c for the measured cost); other
 * machines use ucontext.  AddressSanitizer and ThreadSanitizer are told
 * about every switch.
 *
 * A coroutine's function must never return: it switches away for the last
 * time.  A coroutine may be abandoned while suspended (a run that stopped
 * at a violation); ex_coro_start() may then reuse its stack.
 *
 * Prefix: ex_coro_.
 */
#ifndef RMAPLAB_EXPLORE_CORO_H
#define RMAPLAB_EXPLORE_CORO_H

#include <stddef.h>

#if !defined(__x86_64__)
#include <ucontext.h>
#endif

struct ex_coro {
	void *sp;			/* saved stack pointer while suspended */
	void *stack;			/* NULL for the main context */
	size_t size;
	void (*fn)(void *);
	void *arg;
	void *asan_fake;		/* AddressSanitizer's fake-stack handle */
	const void *asan_bottom;	/* the stack ASan must be told about */
	size_t asan_size;
	void *tsan_fiber;
#if !defined(__x86_64__)
	ucontext_t uc;
#endif
};

/* The calling context (the scheduler's own stack). */
void ex_coro_main(struct ex_coro *c);
/* (Re)start @c to run fn(arg) on its own stack of @size bytes at the next switch to it. */
void ex_coro_start(struct ex_coro *c, size_t size, void (*fn)(void *), void *arg);
/* Suspend @from (the running context) and resume @to. */
void ex_coro_switch(struct ex_coro *from, struct ex_coro *to);
/* Free @c's stack. */
void ex_coro_free(struct ex_coro *c);

#endif /* RMAPLAB_EXPLORE_CORO_H */
