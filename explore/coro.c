/*
 * explore/coro.c - coroutine stacks and the context switch
 *
 * x86-64: rl_coro_swap pushes the six callee-saved registers, stores the
 * stack pointer into *from, loads @to's and pops them back; a new
 * coroutine's stack is laid out so that the first switch "returns" into
 * rl_coro_trampoline, which calls coro_entry(c).  Everything else (the
 * caller-saved registers) the C calling convention already saved.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "explore/coro.h"

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/asan_interface.h>
#include <sanitizer/common_interface_defs.h>
#define CORO_ASAN 1
#endif
#if defined(__SANITIZE_THREAD__)
#include <sanitizer/tsan_interface.h>
#define CORO_TSAN 1
#endif

/* The context that last switched away: the new coroutine learns its caller from it. */
static struct ex_coro *switching_from;

static void coro_entry(struct ex_coro *c)
{
#ifdef CORO_ASAN
	__sanitizer_finish_switch_fiber(NULL, &switching_from->asan_bottom,
					&switching_from->asan_size);
#endif
	c->fn(c->arg);
	fprintf(stderr, "rmaplab: a coroutine returned\n");
	abort();
}

#if defined(__x86_64__)
void rl_coro_swap(void **from_sp, void *to_sp);
void rl_coro_trampoline(void);

__asm__(".text\n"
	".globl rl_coro_swap\n"
	".hidden rl_coro_swap\n"
	".type rl_coro_swap,@function\n"
	"rl_coro_swap:\n"
	"	pushq %rbp\n"
	"	pushq %rbx\n"
	"	pushq %r12\n"
	"	pushq %r13\n"
	"	pushq %r14\n"
	"	pushq %r15\n"
	"	movq %rsp, (%rdi)\n"
	"	movq %rsi, %rsp\n"
	"	popq %r15\n"
	"	popq %r14\n"
	"	popq %r13\n"
	"	popq %r12\n"
	"	popq %rbx\n"
	"	popq %rbp\n"
	"	ret\n"
	".size rl_coro_swap, .-rl_coro_swap\n"
	".globl rl_coro_trampoline\n"
	".hidden rl_coro_trampoline\n"
	".type rl_coro_trampoline,@function\n"
	"rl_coro_trampoline:\n"
	"	movq %r13, %rdi\n"
	"	callq *%r12\n"
	"	ud2\n"
	".size rl_coro_trampoline, .-rl_coro_trampoline\n");

static void prepare_stack(struct ex_coro *c)
{
	uintptr_t top = ((uintptr_t)c->stack + c->size) & ~(uintptr_t)15;
	uintptr_t *sp = (uintptr_t *)(top - 16);	/* 16-aligned once the trampoline runs */

	*--sp = (uintptr_t)rl_coro_trampoline;	/* "return address" of the first switch */
	*--sp = 0;				/* rbp */
	*--sp = 0;				/* rbx */
	*--sp = (uintptr_t)coro_entry;		/* r12 */
	*--sp = (uintptr_t)c;			/* r13 */
	*--sp = 0;				/* r14 */
	*--sp = 0;				/* r15 */
	c->sp = sp;
}
#else
static void uc_entry(unsigned int hi, unsigned int lo)
{
	coro_entry((struct ex_coro *)(((uintptr_t)hi << 32) | lo));
}

static void prepare_stack(struct ex_coro *c)
{
	uintptr_t p = (uintptr_t)c;

	getcontext(&c->uc);
	c->uc.uc_stack.ss_sp = c->stack;
	c->uc.uc_stack.ss_size = c->size;
	c->uc.uc_link = NULL;
	makecontext(&c->uc, (void (*)(void))uc_entry, 2, (unsigned int)(p >> 32),
		    (unsigned int)(p & 0xffffffffu));
}
#endif

void ex_coro_main(struct ex_coro *c)
{
	memset(c, 0, sizeof(*c));
#ifdef CORO_TSAN
	c->tsan_fiber = __tsan_get_current_fiber();
#endif
}

void ex_coro_start(struct ex_coro *c, size_t size, void (*fn)(void *), void *arg)
{
#ifdef CORO_ASAN
	size *= 4;	/* instrumented frames are larger */
#endif
	if (c->stack && c->size != size)
		ex_coro_free(c);
	if (!c->stack) {
		size_t page = 4096;
		void *p = mmap(NULL, size + page, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

		if (p == MAP_FAILED) {
			perror("rmaplab: coroutine stack");
			abort();
		}
		mprotect(p, page, PROT_NONE);	/* guard: an overflow faults */
		c->stack = (char *)p + page;
		c->size = size;
	}
#ifdef CORO_ASAN
	/* A coroutine abandoned mid-call leaves its frames' redzones poisoned. */
	ASAN_UNPOISON_MEMORY_REGION(c->stack, c->size);
#endif
#ifdef CORO_TSAN
	if (!c->tsan_fiber)
		c->tsan_fiber = __tsan_create_fiber(0);
#endif
	c->fn = fn;
	c->arg = arg;
	c->asan_fake = NULL;
	c->asan_bottom = c->stack;
	c->asan_size = c->size;
	prepare_stack(c);
}

void ex_coro_switch(struct ex_coro *from, struct ex_coro *to)
{
	switching_from = from;
#ifdef CORO_ASAN
	__sanitizer_start_switch_fiber(&from->asan_fake, to->asan_bottom, to->asan_size);
#endif
#ifdef CORO_TSAN
	__tsan_switch_to_fiber(to->tsan_fiber, 0);
#endif
#if defined(__x86_64__)
	rl_coro_swap(&from->sp, to->sp);
#else
	swapcontext(&from->uc, &to->uc);
#endif
#ifdef CORO_ASAN
	__sanitizer_finish_switch_fiber(from->asan_fake, &switching_from->asan_bottom,
					&switching_from->asan_size);
#endif
}

void ex_coro_free(struct ex_coro *c)
{
	if (c->stack)
		munmap((char *)c->stack - 4096, c->size + 4096);
#ifdef CORO_TSAN
	if (c->tsan_fiber && c->stack)
		__tsan_destroy_fiber(c->tsan_fiber);
#endif
	c->stack = NULL;
	c->tsan_fiber = NULL;
}
