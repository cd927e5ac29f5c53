@rem Leave the virtual environment that activate.bat entered.
@if defined _BURROW_OLD_PROMPT set "PROMPT=%_BURROW_OLD_PROMPT%"
@set _BURROW_OLD_PROMPT=

@if defined _BURROW_OLD_PYTHONHOME set "PYTHONHOME=%_BURROW_OLD_PYTHONHOME%"
@set _BURROW_OLD_PYTHONHOME=

@if defined _BURROW_OLD_PATH set "PATH=%_BURROW_OLD_PATH%"
@set _BURROW_OLD_PATH=

@set VIRTUAL_ENV=
@set VIRTUAL_ENV_PROMPT=
