/*
 * tests/scenario_tests.c - every .scn file under scenarios/ and
 * tests/scenarios/ is a test (filled in with the run command)
 */
#include "tests/test.h"

void t_register_scenario_tests(void)
{
}
