@rem Activate this virtual environment in cmd.exe:   .venv\Scripts\activate.bat
@rem Leave it with deactivate.bat. The values below are caret-escaped, so cmd.exe runs no
@rem part of them (this assumes delayed expansion is off, as it is unless you turned it on).
@set _BURROW_ENV=__BURROW_VIRTUAL_ENV__
@if not "__BURROW_RELOCATABLE__"=="" for %%A in ("%~dp0..") do @set "_BURROW_ENV=%%~fA"
@rem Refuse, changing nothing, when no PATH entry can name the environment (a Windows path
@rem cannot hold a double quote, so the quoted comparison below is safe).
@if not "%_BURROW_ENV:;=%"=="%_BURROW_ENV%" (
    @echo __BURROW_PATHSEP_MESSAGE__ 1>&2
    @set _BURROW_ENV=
    @exit /b 1
)

@if defined _BURROW_OLD_PATH call "%~dp0deactivate.bat"

@set "VIRTUAL_ENV=%_BURROW_ENV%"
@set _BURROW_ENV=
@set VIRTUAL_ENV_PROMPT=__BURROW_PROMPT__

@if defined PROMPT (set "_BURROW_OLD_PROMPT=%PROMPT%") else (set "_BURROW_OLD_PROMPT=$P$G")
@rem The prefix is written with PROMPT codes ($A for &, ...), safe inside the quotes.
@if not defined VIRTUAL_ENV_DISABLE_PROMPT set "PROMPT=__BURROW_PROMPT_PREFIX__%_BURROW_OLD_PROMPT%"

@if defined PYTHONHOME set "_BURROW_OLD_PYTHONHOME=%PYTHONHOME%"
@set PYTHONHOME=

@set "_BURROW_OLD_PATH=%PATH%"
@set "PATH=%VIRTUAL_ENV%\__BURROW_BIN_NAME__;%PATH%"
