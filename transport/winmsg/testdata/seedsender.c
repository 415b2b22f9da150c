/*
 * seedsender: the seed article's C# sender, in C. It finds a window by
 * title and makes exactly the seed's calls, printing one line per call:
 *
 *   seedsender TITLE copydata JSON       FindWindowA + SendMessageA(WM_COPYDATA)
 *                                        with the ANSI string, cbData = len+1,
 *                                        dwData = 0, wParam = 0
 *   seedsender TITLE timeout MS JSON     the same with SendMessageTimeoutA
 *                                        (SMTO_ABORTIFHUNG), MS milliseconds
 *   seedsender TITLE post W L            PostMessageA(WM_USER+1, W, L)
 *   seedsender TITLE send ID W L         SendMessageA(ID, W, L)
 *
 * Output: "found hwnd=0x..." or "notfound", then per call
 * "result=N" / "timeout ok=0 error=E result=N" / "post ok=B error=E".
 */
#include <windows.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define WM_MY_MESSAGE (WM_USER + 1)

static int copydata(HWND hwnd, const char *json)
{
	COPYDATASTRUCT cds;
	cds.dwData = 0;
	cds.cbData = (DWORD)strlen(json) + 1; /* the seed: len + 1, the NUL too */
	cds.lpData = (PVOID)json;
	LRESULT r = SendMessageA(hwnd, WM_COPYDATA, 0, (LPARAM)&cds);
	printf("result=%lld\n", (long long)r);
	return 0;
}

static int sendtimeout(HWND hwnd, const char *ms, const char *json)
{
	COPYDATASTRUCT cds;
	DWORD_PTR result = 0;
	cds.dwData = 0;
	cds.cbData = (DWORD)strlen(json) + 1;
	cds.lpData = (PVOID)json;
	SetLastError(0);
	LRESULT ok = SendMessageTimeoutA(hwnd, WM_COPYDATA, 0, (LPARAM)&cds,
		SMTO_ABORTIFHUNG, (UINT)atoi(ms), &result);
	printf("timeout ok=%d error=%lu result=%lld\n", ok != 0, GetLastError(), (long long)result);
	return 0;
}

static int post(HWND hwnd, const char *w, const char *l)
{
	SetLastError(0);
	BOOL ok = PostMessageA(hwnd, WM_MY_MESSAGE, (WPARAM)_atoi64(w), (LPARAM)_atoi64(l));
	printf("post ok=%d error=%lu\n", ok, GetLastError());
	return 0;
}

static int sendmsg(HWND hwnd, const char *id, const char *w, const char *l)
{
	LRESULT r = SendMessageA(hwnd, (UINT)strtoul(id, NULL, 0), (WPARAM)_atoi64(w), (LPARAM)_atoi64(l));
	printf("result=%lld\n", (long long)r);
	return 0;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	if (argc < 3) {
		fprintf(stderr, "usage: seedsender TITLE copydata|timeout|post|send ARGS\n");
		return 2;
	}
	HWND hwnd = FindWindowA(NULL, argv[1]);
	if (hwnd == NULL) {
		printf("notfound\n");
		return 1;
	}
	printf("found hwnd=%p\n", (void *)hwnd);
	const char *cmd = argv[2];
	if (strcmp(cmd, "copydata") == 0 && argc == 4)
		return copydata(hwnd, argv[3]);
	if (strcmp(cmd, "timeout") == 0 && argc == 5)
		return sendtimeout(hwnd, argv[3], argv[4]);
	if (strcmp(cmd, "post") == 0 && argc == 5)
		return post(hwnd, argv[3], argv[4]);
	if (strcmp(cmd, "send") == 0 && argc == 6)
		return sendmsg(hwnd, argv[3], argv[4], argv[5]);
	fprintf(stderr, "seedsender: bad command\n");
	return 2;
}
