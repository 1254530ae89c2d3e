/* main.c: the program: one deposit, printed. */
#include <stdio.h>

#include "account.h"

int main(void)
{
	printf("%d\n", deposit(10, 5));
	return 0;
}
