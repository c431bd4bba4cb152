/*
 * tests/test.h - the in-house test runner
 *
 *   TEST(name) { ... }            a test; registered at program start
 *   T_ASSERT(cond)                fail and leave the test
 *   T_EQ(a, b), T_NE, T_LT, T_LE  integer comparisons, both operands printed
 *   T_STREQ(a, b)                 string comparison
 *   T_MEMEQ(a, b, n)              byte comparison, first difference printed
 *   t_seed()                      --seed N (default 1)
 *   t_long()                      --long given: run the long versions
 *   t_param(name, def)            --param name=value, an integer knob
 *
 * The runner's last line is "N passed, N failed".  Options: --filter SUB
 * (substring of the test name; may repeat), --seed N, --list, --long,
 * --param K=V, -v.
 */
#ifndef RMAPLAB_TESTS_TEST_H
#define RMAPLAB_TESTS_TEST_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

struct t_test {
	const char *name;
	void (*fn)(void *arg);
	void *arg;
	const char *file;
	int line;
	struct t_test *next;
};

void t_register(struct t_test *t);
/* Register a test at run time (scenario files); the runner copies name. */
void t_register_dynamic(const char *name, void (*fn)(void *arg), void *arg);

void t_fail(const char *file, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void t_fail_noreturn(const char *file, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4), __noreturn__));
void t_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

uint64_t t_seed(void);
bool t_long(void);
bool t_verbose(void);
long long t_param(const char *name, long long def);

#define TEST(tname)								\
	static void test_fn_##tname(void *arg);					\
	static struct t_test test_desc_##tname = {				\
		#tname, test_fn_##tname, NULL, __FILE__, __LINE__, NULL };	\
	__attribute__((constructor)) static void test_reg_##tname(void)	\
	{ t_register(&test_desc_##tname); }					\
	static void test_fn_##tname(void *arg __attribute__((unused)))

#define T_ASSERT(cond) do {							\
	if (!(cond))								\
		t_fail_noreturn(__FILE__, __LINE__, "assertion failed: %s", #cond); \
} while (0)

#define T_CHECK(cond) do {							\
	if (!(cond))								\
		t_fail(__FILE__, __LINE__, "check failed: %s", #cond);		\
} while (0)

#define T_CMP(a, op, b) do {							\
	long long t_a_ = (long long)(a), t_b_ = (long long)(b);		\
	if (!(t_a_ op t_b_))							\
		t_fail_noreturn(__FILE__, __LINE__, "%s %s %s: %lld (0x%llx) vs %lld (0x%llx)", \
			#a, #op, #b, t_a_, (unsigned long long)t_a_, t_b_,	\
			(unsigned long long)t_b_);				\
} while (0)

#define T_EQ(a, b) T_CMP(a, ==, b)
#define T_NE(a, b) T_CMP(a, !=, b)
#define T_LT(a, b) T_CMP(a, <, b)
#define T_LE(a, b) T_CMP(a, <=, b)
#define T_GT(a, b) T_CMP(a, >, b)
#define T_GE(a, b) T_CMP(a, >=, b)

#define T_STREQ(a, b) do {							\
	const char *t_sa_ = (a), *t_sb_ = (b);					\
	if (!t_sa_ || !t_sb_ || strcmp(t_sa_, t_sb_))				\
		t_fail_noreturn(__FILE__, __LINE__, "%s == %s: \"%s\" vs \"%s\"", \
			#a, #b, t_sa_ ? t_sa_ : "(null)", t_sb_ ? t_sb_ : "(null)"); \
} while (0)

#define T_MEMEQ(a, b, n) do {							\
	const unsigned char *t_ma_ = (const unsigned char *)(a);		\
	const unsigned char *t_mb_ = (const unsigned char *)(b);		\
	for (size_t t_i_ = 0; t_i_ < (size_t)(n); t_i_++)			\
		if (t_ma_[t_i_] != t_mb_[t_i_])					\
			t_fail_noreturn(__FILE__, __LINE__,			\
				"%s vs %s differ at byte %zu: 0x%02x vs 0x%02x", \
				#a, #b, t_i_, t_ma_[t_i_], t_mb_[t_i_]);	\
} while (0)

#endif /* RMAPLAB_TESTS_TEST_H */
