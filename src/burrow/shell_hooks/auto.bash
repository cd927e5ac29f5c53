case ";${PROMPT_COMMAND-};" in
    *";_burrow_auto;"*) ;;
    *) PROMPT_COMMAND="_burrow_auto${PROMPT_COMMAND:+;$PROMPT_COMMAND}" ;;
esac
