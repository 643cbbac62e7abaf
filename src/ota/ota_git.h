/*
 * ota_git.h - the libgit2 handle behind struct ota_git, shared by the
 * writer (ota_git.c) and the reader (ota_gitread.c) only.
 */
#ifndef NB_OTA_GIT_H
#define NB_OTA_GIT_H

#include <git2.h>

struct ota_git {
	git_repository *repo;
};

#endif
