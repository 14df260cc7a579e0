// The store's file on disk: where it lives by default, and its directories and the file itself
// made before SQLite opens it, private to this user whatever the umask.
#pragma once

#include <string>

namespace latchkey::native {

/// Makes `path`'s missing parent directories (0700) and the file itself (empty, 0600) when it
/// does not exist yet; an existing file or directory keeps its mode. Returns "" when `path` is
/// then a regular file, else a sentence naming what failed and what to do (a parent that is not
/// a directory, a directory that cannot be created, a path that is not a regular file).
std::string prepare_store_file(const std::string& path);

/// The default store path: $LATCHKEY_STORE, else $XDG_DATA_HOME/latchkey/latchkey.db (if that is
/// an absolute path), else $HOME/.local/share/latchkey/latchkey.db (the password database's home
/// directory when HOME is unset). Empty if there is no home directory either.
std::string default_store_path();

}  // namespace latchkey::native
