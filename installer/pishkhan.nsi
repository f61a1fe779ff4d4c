; Pishkhan's Windows installer (NSIS 3, Unicode). Compile with installer/build_installer.py,
; which passes the version and the bundle folder; see docs/PACKAGING.md.
;
; What it promises (and docs/PACKAGING.md explains why each):
; - installs for the current user only, never asks for administrator rights;
; - Start-menu and desktop shortcuts; the wizard speaks Persian (default) and English;
; - an upgrade replaces the program folder wholesale: nothing an older version left stays;
; - the installer never touches the data folder (%LOCALAPPDATA%\Pishkhan\Pishkhan, where
;   platformdirs puts the requests database, settings, logs and backups);
; - uninstall keeps the data unless the user ticks "also remove my data" (or an
;   administrator passes /REMOVEDATA to a silent uninstall).

Unicode true
ManifestDPIAware true
RequestExecutionLevel user

!ifndef VERSION
  !error "VERSION is not defined: compile with installer/build_installer.py"
!endif
!ifndef VERSION4
  !error "VERSION4 (four numbers) is not defined: compile with installer/build_installer.py"
!endif
!ifndef PAYLOAD
  !error "PAYLOAD (the PyInstaller bundle folder dist/pishkhan) is not defined"
!endif
!ifndef OUTFILE
  !define OUTFILE "pishkhan-${VERSION}-setup.exe"
!endif
!ifndef ICON
  !define ICON "..\resources\icons\pishkhan.ico"
!endif
!ifdef FAST
  SetCompress off ; tests only: compiling the script matters, not the size
!else
  SetCompressor /SOLID lzma
!endif

!define APP "Pishkhan"
!define PUBLISHER "Pishkhan"
!define MAIN_EXE "pishkhan.exe"
!define UNINSTALLER "uninstall.exe"
!define UNINST_KEY "Software\Microsoft\Windows\CurrentVersion\Uninstall\${APP}"
!define SETTINGS_KEY "Software\${APP}\Installer"
; platformdirs.user_data_dir("Pishkhan", "Pishkhan", roaming=False) on Windows:
; <local app data>\<author>\<app>. Checked against desktop.config by tests/packaging.
!define DATA_PARENT "$LOCALAPPDATA\Pishkhan"
!define DATA_DIR "$LOCALAPPDATA\Pishkhan\Pishkhan"

Name "${APP}"
OutFile "${OUTFILE}"
; One fixed per-user folder, no directory page: the upgrade wipes this folder, so it
; must be ours alone (guarded again below for /D= on the command line).
InstallDir "$LOCALAPPDATA\Programs\${APP}"
ShowInstDetails hide
ShowUninstDetails hide
BrandingText "${APP} ${VERSION}"

VIProductVersion "${VERSION4}"
VIFileVersion "${VERSION4}"

!include "MUI2.nsh"
!include "LogicLib.nsh"
!include "FileFunc.nsh"
!include "nsDialogs.nsh"

!define MUI_ICON "${ICON}"
!define MUI_UNICON "${ICON}"
!define MUI_ABORTWARNING
!define MUI_LANGDLL_REGISTRY_ROOT "HKCU"
!define MUI_LANGDLL_REGISTRY_KEY "${SETTINGS_KEY}"
!define MUI_LANGDLL_REGISTRY_VALUENAME "Language"
!define MUI_LANGDLL_ALLLANGUAGES
!define MUI_FINISHPAGE_RUN "$INSTDIR\${MAIN_EXE}"

!insertmacro MUI_PAGE_WELCOME
!insertmacro MUI_PAGE_INSTFILES
!insertmacro MUI_PAGE_FINISH

!insertmacro MUI_UNPAGE_CONFIRM
UninstPage custom un.DataPageShow un.DataPageLeave
!insertmacro MUI_UNPAGE_INSTFILES

; The first language is the default; the language dialog offers both.
!insertmacro MUI_LANGUAGE "Farsi"
!insertmacro MUI_LANGUAGE "English"
!insertmacro MUI_RESERVEFILE_LANGDLL

VIAddVersionKey /LANG=${LANG_ENGLISH} "ProductName" "${APP}"
VIAddVersionKey /LANG=${LANG_ENGLISH} "CompanyName" "${PUBLISHER}"
VIAddVersionKey /LANG=${LANG_ENGLISH} "FileDescription" "${APP} installer"
VIAddVersionKey /LANG=${LANG_ENGLISH} "FileVersion" "${VERSION}"
VIAddVersionKey /LANG=${LANG_ENGLISH} "ProductVersion" "${VERSION}"
VIAddVersionKey /LANG=${LANG_ENGLISH} "LegalCopyright" "${PUBLISHER}"

LangString ShortcutName ${LANG_FARSI} "پیشخوان"
LangString ShortcutName ${LANG_ENGLISH} "Pishkhan"
LangString ProgramRunning ${LANG_FARSI} "پیشخوان هنوز باز است. لطفاً برنامه را ببندید و «تلاش مجدد» را بزنید."
LangString ProgramRunning ${LANG_ENGLISH} "Pishkhan is still running. Please close it and press Retry."
LangString NotOurFolder ${LANG_FARSI} "پوشه‌ی مقصد خالی نیست و پیشخوان در آن نصب نشده است؛ نصب متوقف شد:$\r$\n$INSTDIR"
LangString NotOurFolder ${LANG_ENGLISH} "The destination folder is not empty and holds no Pishkhan installation; setup stopped:$\r$\n$INSTDIR"
LangString DataFolderClash ${LANG_FARSI} "پوشه‌ی برنامه نمی‌تواند پوشه‌ی داده‌ها باشد یا آن را در بر بگیرد:$\r$\n${DATA_DIR}"
LangString DataFolderClash ${LANG_ENGLISH} "The program folder may not be, or contain, the data folder:$\r$\n${DATA_DIR}"
LangString DataPageTitle ${LANG_FARSI} "داده‌های پیشخوان"
LangString DataPageTitle ${LANG_ENGLISH} "Pishkhan's data"
LangString DataPageSubtitle ${LANG_FARSI} "داده‌ها به‌طور پیش‌فرض نگه داشته می‌شوند."
LangString DataPageSubtitle ${LANG_ENGLISH} "Your data is kept unless you choose otherwise."
LangString DataPageText ${LANG_FARSI} "درخواست‌ها، تنظیمات، گزارش‌ها و نسخه‌های پشتیبان در این پوشه هستند و با حذف برنامه پاک نمی‌شوند:$\r$\n${DATA_DIR}"
LangString DataPageText ${LANG_ENGLISH} "Requests, settings, logs and backups are in this folder and are kept when the program is removed:$\r$\n${DATA_DIR}"
LangString RemoveDataCheck ${LANG_FARSI} "داده‌های من هم پاک شود"
LangString RemoveDataCheck ${LANG_ENGLISH} "Also remove my data"
LangString RemoveDataWarning ${LANG_FARSI} "هشدار: درخواست‌هایی که هنوز به سرور مرکزی نرسیده‌اند برای همیشه از دست می‌روند."
LangString RemoveDataWarning ${LANG_ENGLISH} "Warning: requests not yet sent to the central server are lost for good."
LangString RemoveDataConfirm ${LANG_FARSI} "همه‌ی داده‌های پیشخوان روی این رایانه پاک شود؟ این کار برگشت‌پذیر نیست."
LangString RemoveDataConfirm ${LANG_ENGLISH} "Remove all of Pishkhan's data on this PC? This cannot be undone."

Var RemoveDataBox
Var RemoveData

; ---------------------------------------------------------------- shared checks

; Stops with a message while pishkhan.exe or pishkhan-console.exe runs from $INSTDIR:
; a running executable cannot be opened for writing, and its DLLs could not be replaced.
!macro WAIT_UNTIL_CLOSED un
Function ${un}WaitUntilClosed
  retry:
  ${If} ${FileExists} "$INSTDIR\${MAIN_EXE}"
    ClearErrors
    FileOpen $0 "$INSTDIR\${MAIN_EXE}" a
    ${IfNot} ${Errors}
      FileClose $0
      ClearErrors
      FileOpen $0 "$INSTDIR\pishkhan-console.exe" a
      ${IfNot} ${Errors}
        FileClose $0
      ${ElseIf} ${FileExists} "$INSTDIR\pishkhan-console.exe"
        Goto running
      ${EndIf}
      Return
    ${EndIf}
    running:
    MessageBox MB_RETRYCANCEL|MB_ICONEXCLAMATION "$(ProgramRunning)" /SD IDCANCEL IDRETRY retry
    SetErrorLevel 5
    Quit
  ${EndIf}
FunctionEnd
!macroend
!insertmacro WAIT_UNTIL_CLOSED ""
!insertmacro WAIT_UNTIL_CLOSED "un."

; Refuses a program folder that is, or lies inside, or contains the data folder
; (the wholesale wipe would otherwise reach the clerk's requests).
Function RefuseDataFolderClash
  StrLen $0 "$INSTDIR"
  StrCpy $1 "${DATA_DIR}" $0
  StrLen $2 "${DATA_DIR}"
  StrCpy $3 "$INSTDIR" $2
  ; StrCmp is case-insensitive, like Windows paths.
  ${If} $1 == "$INSTDIR"
  ${OrIf} $3 == "${DATA_DIR}"
  ${OrIf} "$INSTDIR" == "${DATA_PARENT}"
    MessageBox MB_OK|MB_ICONSTOP "$(DataFolderClash)" /SD IDOK
    SetErrorLevel 2
    Quit
  ${EndIf}
FunctionEnd

; Empties the program folder so that no file of an older version survives the upgrade.
; Only a folder that holds a Pishkhan installation (or nothing) is touched.
Function ClearProgramFolder
  ${IfNot} ${FileExists} "$INSTDIR\*.*"
    Return
  ${EndIf}
  ${IfNot} ${FileExists} "$INSTDIR\${MAIN_EXE}"
  ${AndIfNot} ${FileExists} "$INSTDIR\${UNINSTALLER}"
    ; Not ours: install only into it if it is empty.
    FindFirst $0 $1 "$INSTDIR\*.*"
    ${DoWhile} $1 != ""
      ${If} $1 != "."
      ${AndIf} $1 != ".."
        FindClose $0
        MessageBox MB_OK|MB_ICONSTOP "$(NotOurFolder)" /SD IDOK
        SetErrorLevel 2
        Quit
      ${EndIf}
      FindNext $0 $1
    ${Loop}
    FindClose $0
    Return
  ${EndIf}
  retry:
  ClearErrors
  RMDir /r "$INSTDIR"
  ${If} ${Errors}
  ${OrIf} ${FileExists} "$INSTDIR\*.*"
    MessageBox MB_RETRYCANCEL|MB_ICONEXCLAMATION "$(ProgramRunning)" /SD IDCANCEL IDRETRY retry
    SetErrorLevel 5
    Quit
  ${EndIf}
FunctionEnd

; ---------------------------------------------------------------- install

Function .onInit
  !insertmacro MUI_LANGDLL_DISPLAY
FunctionEnd

Section "Pishkhan" SecProgram
  SectionIn RO
  Call RefuseDataFolderClash
  Call WaitUntilClosed
  Call ClearProgramFolder

  SetOutPath "$INSTDIR"
  File /r "${PAYLOAD}/*"
  WriteUninstaller "$INSTDIR\${UNINSTALLER}"

  ; Shortcut names follow the wizard's language; remove both names first so a
  ; reinstall in the other language leaves no second shortcut behind.
  Delete "$SMPROGRAMS\پیشخوان.lnk"
  Delete "$SMPROGRAMS\Pishkhan.lnk"
  Delete "$DESKTOP\پیشخوان.lnk"
  Delete "$DESKTOP\Pishkhan.lnk"
  CreateShortcut "$SMPROGRAMS\$(ShortcutName).lnk" "$INSTDIR\${MAIN_EXE}" "" "$INSTDIR\${MAIN_EXE}" 0
  CreateShortcut "$DESKTOP\$(ShortcutName).lnk" "$INSTDIR\${MAIN_EXE}" "" "$INSTDIR\${MAIN_EXE}" 0

  ; Apps & features entry, per user (HKCU): no administrator needed to remove it either.
  WriteRegStr HKCU "${UNINST_KEY}" "DisplayName" "${APP}"
  WriteRegStr HKCU "${UNINST_KEY}" "DisplayVersion" "${VERSION}"
  WriteRegStr HKCU "${UNINST_KEY}" "Publisher" "${PUBLISHER}"
  WriteRegStr HKCU "${UNINST_KEY}" "DisplayIcon" "$INSTDIR\${MAIN_EXE}"
  WriteRegStr HKCU "${UNINST_KEY}" "InstallLocation" "$INSTDIR"
  WriteRegStr HKCU "${UNINST_KEY}" "UninstallString" '"$INSTDIR\${UNINSTALLER}"'
  WriteRegStr HKCU "${UNINST_KEY}" "QuietUninstallString" '"$INSTDIR\${UNINSTALLER}" /S'
  WriteRegDWORD HKCU "${UNINST_KEY}" "NoModify" 1
  WriteRegDWORD HKCU "${UNINST_KEY}" "NoRepair" 1
  ${GetSize} "$INSTDIR" "/S=0K" $0 $1 $2
  IntFmt $0 "0x%08X" $0
  WriteRegDWORD HKCU "${UNINST_KEY}" "EstimatedSize" "$0"
SectionEnd

; ---------------------------------------------------------------- uninstall

Function un.onInit
  !insertmacro MUI_UNGETLANGUAGE
  StrCpy $RemoveData ${BST_UNCHECKED}
  ; For administrators re-imaging a PC: "uninstall.exe /S /REMOVEDATA".
  ${GetParameters} $0
  ClearErrors
  ${GetOptions} $0 "/REMOVEDATA" $1
  ${IfNot} ${Errors}
    StrCpy $RemoveData ${BST_CHECKED}
  ${EndIf}
FunctionEnd

Function un.DataPageShow
  !insertmacro MUI_HEADER_TEXT "$(DataPageTitle)" "$(DataPageSubtitle)"
  nsDialogs::Create 1018
  Pop $0
  ${NSD_CreateLabel} 0 0 100% 48u "$(DataPageText)"
  Pop $0
  ${NSD_CreateCheckbox} 0 56u 100% 12u "$(RemoveDataCheck)"
  Pop $RemoveDataBox
  ${NSD_SetState} $RemoveDataBox $RemoveData
  ${NSD_CreateLabel} 0 74u 100% 36u "$(RemoveDataWarning)"
  Pop $0
  nsDialogs::Show
FunctionEnd

Function un.DataPageLeave
  ${NSD_GetState} $RemoveDataBox $RemoveData
  ${If} $RemoveData == ${BST_CHECKED}
    MessageBox MB_YESNO|MB_ICONEXCLAMATION|MB_DEFBUTTON2 "$(RemoveDataConfirm)" IDYES confirmed
    Abort ; stay on the page: the box can be unticked
    confirmed:
  ${EndIf}
FunctionEnd

Section "Uninstall"
  Call un.WaitUntilClosed
  Delete "$SMPROGRAMS\پیشخوان.lnk"
  Delete "$SMPROGRAMS\Pishkhan.lnk"
  Delete "$DESKTOP\پیشخوان.lnk"
  Delete "$DESKTOP\Pishkhan.lnk"
  DeleteRegKey HKCU "${UNINST_KEY}"
  DeleteRegKey HKCU "${SETTINGS_KEY}"
  DeleteRegKey /ifempty HKCU "Software\${APP}"
  ; Everything in the program folder is the installer's (it is replaced wholesale
  ; on upgrade), so all of it goes; only if it really is a Pishkhan folder.
  ${If} ${FileExists} "$INSTDIR\${MAIN_EXE}"
    RMDir /r "$INSTDIR"
  ${EndIf}
  ${If} $RemoveData == ${BST_CHECKED}
    RMDir /r "${DATA_DIR}"
    RMDir "${DATA_PARENT}" ; only if empty
  ${EndIf}
SectionEnd
