"""Installing into an environment: link unzipped wheels (:mod:`.link`), read what is installed
(:mod:`.installed`), uninstall by RECORD (:mod:`.uninstall`) and compile bytecode
(:mod:`.bytecode`). Import the submodule you need: this package imports nothing itself."""
