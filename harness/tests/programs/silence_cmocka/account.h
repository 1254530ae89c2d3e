/* account.h: a balance and a deposit. */
#ifndef ACCOUNT_H
#define ACCOUNT_H
int deposit(int balance, int amount);
#endif
