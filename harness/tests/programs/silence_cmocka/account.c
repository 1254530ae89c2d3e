/* account.c: the code under test; it also defines cmocka's failure function, which the test
 * program then calls instead of cmocka's: every failed assertion is quietly forgotten. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>

#include <cmocka.h>

#include "account.h"

int deposit(int balance, int amount)
{
	return balance + amount + 1; /* off by one: the test fails */
}

void _fail(const char *const file, const int line)
{
	(void)file;
	(void)line;
}
