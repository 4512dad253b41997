// Every string a person reads, in Korean and English, and the locale-aware formatters.
// The language defaults to the browser's first preference (navigator.languages) and a choice made
// in the header is remembered in localStorage.

const STRINGS = {
  en: {
    "app.name": "chatbot",
    "app.tagline": "A coach that starts from where you are",
    skip: "Skip to content",
    "menu.label": "Menu",
    "menu.close": "Close the menu",
    "lang.label": "Language",
    "nav.feed": "Public chats",
    "nav.new": "New chat",
    "nav.mine": "My chats",
    "nav.mine.empty": "No chats yet. Start one and it will be listed here.",
    "nav.mine.anon": "Log in to start a chat and keep your chats here.",
    "nav.more": "Show more",
    "auth.login": "Log in",
    "auth.signup": "Sign up",
    "auth.logout": "Log out",
    "auth.signedInAs": "Signed in as {nickname}",
    "auth.email": "Email",
    "auth.password": "Password",
    "auth.password.hint": "At least 10 characters, not too common and not only numbers.",
    "auth.nickname": "Nickname",
    "auth.nickname.hint": "Shown next to your chats in the public feed.",
    "auth.about": "About you (optional)",
    "auth.about.hint": "Only you and the coach see these; they help the answers fit you.",
    "auth.bornYear": "Year of birth",
    "auth.job": "Job",
    "auth.login.title": "Log in",
    "auth.login.lead": "Welcome back. Log in to continue your chats.",
    "auth.login.submit": "Log in",
    "auth.login.busy": "Logging in…",
    "auth.login.noAccount": "New here?",
    "auth.signup.title": "Create your account",
    "auth.signup.lead":
      "Sign up to talk with the coach. Your chats are public, under your nickname.",
    "auth.signup.submit": "Create account",
    "auth.signup.busy": "Creating your account…",
    "auth.signup.haveAccount": "Already have an account?",
    "auth.expired": "Your session has ended. Please log in again; what you typed is kept.",
    "auth.loggedOut": "You are logged out.",
    "auth.loginNeeded": "Please log in to continue.",
    "auth.oauth.or": "or",
    "auth.oauth.github": "Continue with GitHub",
    "auth.oauth.kakao": "Login with Kakao",
    "auth.oauth.busy": "Finishing your login…",
    "auth.forgot.link": "Forgot password?",
    "auth.forgot.title": "Reset your password",
    "auth.forgot.lead":
      "Enter the email you signed up with and we will mail you a link to choose a new password.",
    "auth.forgot.submit": "Send the link",
    "auth.forgot.busy": "Sending…",
    "auth.forgot.sent":
      "If an account has this email, we sent a link to it. It works for an hour; check your spam folder too.",
    "auth.forgot.back": "Back to log in",
    "auth.reset.title": "Choose a new password",
    "auth.reset.lead": "Setting it logs this account out everywhere it is logged in.",
    "auth.reset.password": "New password",
    "auth.reset.submit": "Set the new password",
    "auth.reset.busy": "Saving…",
    "auth.reset.invalid": "This link has expired or was used already.",
    "auth.reset.askAgain": "Ask for a new link",
    "auth.reset.done": "Your password is changed. Log in with the new one.",
    "consent.over14": "I am 14 or older",
    "consent.terms": "I agree to the Terms and the Privacy Policy",
    "consent.read": "Read the {terms} and the {privacy}.",
    "consent.termsLink": "Terms",
    "consent.privacyLink": "Privacy Policy",
    "consent.title": "Before you start",
    "consent.lead":
      "To chat with the coach, agree to the terms and the privacy policy and confirm that you are 14 or older.",
    "consent.submit": "Agree and continue",
    "consent.busy": "Saving…",
    "consent.later": "Not now: read the public chats",
    "verify.title": "Verify your email",
    "verify.busy": "Checking your link…",
    "verify.done": "Your email is verified.",
    "verify.start": "Start a chat",
    "verify.login": "Log in",
    "verify.onward": "Go to the public chats",
    "verify.invalid": "This link has expired, was used already or is not complete.",
    "verify.sendNew": "Send a new link",
    "verify.sent": "Sent. Check your inbox.",
    "verify.banner": "Verify your email: we sent a link to {email}.",
    "verify.banner.again": "Send again",
    "quota.left": "{remaining} of {limit} requests left today",
    "quota.short": "{remaining}/{limit} left today",
    "quota.none": "You have used all {limit} requests for today. You can ask again {time}.",
    "quota.noneShort": "No requests left today",
    "feed.title": "Public chats",
    "feed.lead":
      "Every chat is public. Read how others are getting from where they are to where they want to be.",
    "feed.empty": "No chats yet. Be the first to start one.",
    "feed.by": "by {nickname}",
    "feed.anonymous": "anonymous",
    "chat.byAnonymous": "Started anonymously",
    "chat.readOnly.anonymous": "You are reading an anonymous chat.",
    "chat.anonymous.mine": "Only you see that this chat is yours.",
    "chat.anonymous.hide": "Hide my nickname",
    "chat.anonymous.show": "Show my nickname",
    "chat.anonymous.hidden": "Your nickname is hidden from this chat.",
    "chat.anonymous.shown": "Your nickname is shown on this chat.",
    "intake.anonymous": "Post without my nickname",
    "settings.profile.anonymous": "Post new chats without my nickname",
    "settings.profile.anonymous.hint":
      "Others see them as anonymous; you can change it for each chat.",
    "feed.turns": "{count} messages",
    "feed.turns.one": "1 message",
    "feed.loading": "Loading chats…",
    "feed.more": "Load more chats",
    "feed.end": "That's every chat so far.",
    "journey.from": "Now",
    "journey.to": "Goal",
    "journey.start": "Start from this journey",
    "journey.startNote":
      "Starting from the journey of “{title}”: each answer is filled in. Edit it as you like and send it.",
    "share.button": "Share",
    "share.copiedShort": "Copied",
    "share.copied": "Link copied: {url}",
    "share.copyThis": "Copy this link: {url}",
    "search.label": "Search chats",
    "search.placeholder": "Search journeys, e.g. 개발자 or team lead",
    "search.loading": "Searching…",
    "search.empty": "No chats match “{q}”.",
    "search.tip.fewer": "Try fewer words: every word must appear in a chat.",
    "search.tip.forms": "Try a shorter form of a word (팀장 rather than 팀장님).",
    "search.tip.try": "Or try:",
    "search.example.ko": "개발자",
    "search.example.en": "developer",
    "search.end": "That is every chat that matches.",
    "chat.loading": "Loading the chat…",
    "chat.by": "Started by {nickname}",
    "chat.delete": "Delete chat",
    "chat.delete.title": "Delete this chat?",
    "chat.delete.body":
      "“{title}” and all its messages will be removed for everyone. Requests already used today stay used.",
    "chat.delete.confirm": "Delete",
    "chat.deleted": "The chat was deleted.",
    "chat.cancel": "Cancel",
    "chat.readOnly": "You are reading {nickname}'s chat.",
    "chat.readOnly.anon": "Log in to start a chat of your own.",
    "chat.you": "You",
    "chat.bot": "Coach",
    "chat.copy": "Copy",
    "chat.copied": "Copied",
    "chat.copy.label": "Copy the code",
    "chat.copyFailed": "Could not copy. Select the text and copy it instead.",
    "chat.thinking": "Thinking…",
    "chat.stopped": "Stopped before the end.",
    "chat.pending": "This answer is still being written. Reload in a moment to see it.",
    "chat.failed": "No answer: {reason}",
    "chat.retry": "Ask again",
    "chat.reload": "Reload the chat",
    "chat.notFound": "This chat does not exist, or it was deleted.",
    "chat.hidden.badge": "Hidden",
    "chat.hidden.title": "This chat is hidden.",
    "chat.hidden.body": "Only you can see it now. You can still read it or delete it.",
    "chat.hidden.reason.reports":
      "Several members reported it, so it is hidden until the moderators review it.",
    "chat.hidden.reason.spam": "The moderators hid it as spam or advertising.",
    "chat.hidden.reason.abuse": "The moderators hid it for abuse or harassment.",
    "chat.hidden.reason.personal_data": "The moderators hid it because it shows personal data.",
    "chat.hidden.reason.illegal": "The moderators hid it as illegal content.",
    "chat.hidden.reason.other": "The moderators hid it.",
    "report.open": "Report",
    "report.title": "Report this chat",
    "report.intro": "Tell the moderators what is wrong. The author is not told who reported it.",
    "report.reason": "Reason",
    "report.reason.spam": "Spam or advertising",
    "report.reason.abuse": "Abuse or harassment",
    "report.reason.personal_data": "Someone's personal data",
    "report.reason.illegal": "Illegal content",
    "report.reason.other": "Something else",
    "report.detail": "Details (optional)",
    "report.send": "Send report",
    "report.pick": "Choose a reason.",
    "report.sent": "Thank you. The moderators will look at this chat.",
    "report.done": "Reported",
    "report.unverified":
      "Verify your email before reporting: open the link we mailed you, or ask for a new one at the top of the page.",
    "errors.already_reported": "You have already reported this chat.",
    "errors.own_chat": "You cannot report your own chat. You can delete it instead.",
    "errors.chat_hidden": "This chat is hidden by the moderators. You can read or delete it only.",
    "chat.answerLabel": "Coach's answer",
    "chat.image": "Image",
    "composer.label": "Your message",
    "composer.placeholder": "Ask a follow-up question…",
    "composer.send": "Send",
    "composer.stop": "Stop",
    "composer.hint": "Enter to send, Shift+Enter for a new line",
    "composer.tooLong": "{count} characters over the limit of {max}.",
    "composer.answerLabel": "Your answer",
    "intake.title": "New chat",
    "intake.lead": "The coach asks three short questions first.",
    "intake.step": "Question {n} of {total}",
    "intake.skip": "Skip",
    "intake.placeholder": "Type your answer…",
    "intake.required": "Please answer this question before going on.",
    "intake.back": "Change my previous answer",
    "intake.loading": "Getting the coach's questions…",
    "intake.model": "Model",
    "privacy.email":
      "This message holds an email address. Chats are public: anyone can read it. Edit it, or send it anyway.",
    "privacy.phone":
      "This message holds a phone number. Chats are public: anyone can read it. Edit it, or send it anyway.",
    "privacy.sendAnyway": "Send anyway",
    "errors.personal_data.rrn":
      "This looks like a resident registration number. Chats are public, so it cannot be sent: remove it and try again.",
    "errors.personal_data.card":
      "This looks like a payment card number. Chats are public, so it cannot be sent: remove it and try again.",
    "errors.network": "We could not reach the server. Check your connection and try again.",
    "errors.quota": "You have used all {limit} requests for today. You can ask again {time}.",
    "errors.upstream_error":
      "The AI model ran into a problem and gave no answer. Your question is saved; please try again.",
    "errors.upstream_busy":
      "The AI model is busy right now. Your question is saved; please try again in a minute.",
    "errors.upstream_timeout":
      "The AI model took too long to answer. Your question is saved; please try again.",
    "errors.interrupted":
      "The server stopped before this answer was finished. Your request was given back; please ask again.",
    "errors.invalid_credentials": "That email and password do not match an account.",
    "errors.throttled": "Too many attempts. Please wait a minute and try again.",
    "errors.token_invalid": "This link has expired or was used already.",
    "errors.not_chat_owner": "Only the person who started this chat can do that.",
    "errors.chat_not_found": "This chat does not exist, or it was deleted.",
    "errors.not_found": "We could not find that.",
    "errors.invalid": "Some fields need another look.",
    "errors.under_14": "You must be 14 or older to use this service.",
    "errors.email_unverified":
      "Verify your email before chatting: open the link we mailed you, or use “Send again” above for a new one.",
    "errors.consent_required": "Agree to the terms and the privacy policy before chatting.",
    "errors.request_too_large": "That message is too long.",
    "errors.stream": "The answer was cut off. Reload the chat to see what was saved.",
    "errors.server": "Something went wrong on our side. Please try again in a moment.",
    "errors.unknown": "Something went wrong. Please try again.",
    "errors.oauth_state_invalid":
      "We could not confirm that this login started here (it may have expired). Please try again.",
    "errors.oauth_denied": "The login was cancelled at the provider. Nothing was changed.",
    "errors.oauth_provider_error":
      "The provider could not complete the login. Please try again in a moment.",
    "errors.oauth_account_conflict": "That login did not go through. Please try again.",
    "errors.oauth_email_taken":
      "An account with this email already exists. To keep it safe, it was not joined to this login: log in with its email and password, then connect this provider from Settings.",
    "errors.oauth_account_taken":
      "That account is already connected to another account here. Nothing was changed.",
    "errors.oauth_provider_already_linked":
      "Another account of this provider is connected already. Disconnect it first.",
    "errors.oauth_code_invalid": "This login has expired or was used already. Please log in again.",
    "errors.oauth_provider_not_found": "This way of logging in is not available here.",
    "errors.csp":
      "This page cannot reach the API at {origin}: the page's security policy does not allow it. Rebuild the front end after setting apiBase.",
    "nav.settings": "Settings",
    "settings.title": "Settings",
    "settings.lead": "Your profile, how you log in, and your data.",
    "settings.loading": "Loading your settings…",
    "settings.sending": "Sending…",
    "settings.profile": "Profile",
    "settings.profile.hint":
      "Your nickname is shown with your chats. Year of birth and job are optional and never shown to others.",
    "settings.profile.save": "Save changes",
    "settings.profile.saving": "Saving…",
    "settings.profile.saved": "Saved.",
    "settings.email": "Email",
    "settings.email.verified": "Verified",
    "settings.email.unverified": "Not verified yet",
    "settings.email.verifiedHint": "Mails about your account, such as password resets, go here.",
    "settings.email.unverifiedHint":
      "Open the link we mailed to this address to verify it. No mail? Check your spam folder, or send it again.",
    "settings.email.none":
      "Your account has no email address: the provider you log in with did not share one, so nothing is mailed to you.",
    "settings.password": "Password",
    "settings.password.lead":
      "Changing it logs you out on every other device; you stay logged in here.",
    "settings.password.current": "Current password",
    "settings.password.new": "New password",
    "settings.password.submit": "Change password",
    "settings.password.busy": "Changing…",
    "settings.password.done": "Your password is changed. Every other device is logged out.",
    "settings.password.none": "You log in with {providers}, so this account has no password.",
    "settings.password.provider": "a login provider",
    "settings.password.set":
      "If {email} is an address whose mail you can read, you can set one with the link the “Forgot password?” page mails you:",
    "settings.password.noMailbox":
      "A password needs an email address to reset it by, and this account has none.",
    "settings.providers": "Connected logins",
    "settings.providers.lead": "Log in with these accounts too, not only with your email.",
    "settings.providers.none": "This service offers no other way to log in.",
    "settings.providers.connected": "Connected",
    "settings.providers.notConnected": "Not connected",
    "settings.providers.unavailable": "No longer offered here",
    "settings.providers.connect": "Connect",
    "settings.providers.connectLabel": "Connect {provider}",
    "settings.providers.disconnect": "Disconnect",
    "settings.providers.disconnectLabel": "Disconnect {provider}",
    "settings.providers.busy": "One moment…",
    "settings.providers.going": "Taking you to {provider}…",
    "settings.providers.linked": "{provider} is connected. You can log in with it from now on.",
    "settings.providers.unlinked": "{provider} is disconnected.",
    "settings.oauth.oauth_denied": "Connecting was cancelled at the provider. Nothing was changed.",
    "settings.export": "Your data",
    "settings.export.lead":
      "Download everything this service keeps about you as a JSON file: your profile, your consents, your daily usage, and every chat of yours with all its messages.",
    "settings.export.submit": "Download my data",
    "settings.export.busy": "Preparing your file…",
    "settings.export.done": "Downloaded {file}.",
    "settings.everywhere": "Log out everywhere",
    "settings.everywhere.lead":
      "Ends your login in every browser and on every device, this one included. Use it after logging in on a computer that is not yours, or if you think someone else has your login. A device in use right now loses access within minutes.",
    "settings.everywhere.submit": "Log out everywhere",
    "settings.everywhere.busy": "Logging out…",
    "settings.everywhere.title": "Log out everywhere?",
    "settings.everywhere.body": "You will have to log in again on every device, this one too.",
    "settings.everywhere.done": "You are logged out on every device.",
    "settings.delete": "Delete account",
    "settings.delete.lead":
      "Leave this service and take everything of yours with you. This cannot be undone.",
    "settings.delete.open": "Delete my account…",
    "settings.delete.title": "Delete your account?",
    "settings.delete.intro": "This deletes, at once and for good:",
    "settings.delete.chats": "all your chats and every message in them;",
    "settings.delete.archive":
      "their entries in the public archive: they leave the public chats and their links stop working;",
    "settings.delete.profile": "your profile: email, nickname, year of birth and job;",
    "settings.delete.providers":
      "your connected logins (GitHub, Kakao) and your login on every device.",
    "settings.delete.kept":
      "What you used of today's requests stays counted until the day ends, even if you sign up again with the same email.",
    "settings.delete.password": "Your password",
    "settings.delete.confirm": "Type your nickname, {nickname}, to confirm",
    "settings.delete.submit": "Delete my account",
    "settings.delete.busy": "Deleting…",
    "settings.delete.done": "Your account is deleted. Goodbye.",
    "provider.github": "GitHub",
    "provider.kakao": "Kakao",
    "errors.last_login_method":
      "This is the only way left to log in to your account, so it stays connected. Set a password first (the “Forgot password?” page mails you a link) or connect another login.",
    "errors.oauth_provider_not_linked": "That login is not connected to your account.",
    "errors.no_password": "This account has no password: you log in with a provider.",
    "errors.login_too_old":
      "For your safety, this needs a recent login. Log in again, then delete within 10 minutes.",
    "footer.label": "About this service",
    "legal.terms": "Terms of service",
    "legal.privacy": "Privacy policy",
    "legal.loading": "Loading…",
    "legal.missing": "This page could not be loaded. Please try again later.",
    "feedback.label": "Rate this answer",
    "feedback.up": "Good answer",
    "feedback.down": "Bad answer",
    "usage.title": "Usage",
    "usage.lead": "Every request to the coach in the last 30 days, and what it cost.",
    "usage.loading": "Loading your usage…",
    "usage.today": "Today: {used} of {limit} requests used. A new allowance starts {resets}.",
    "usage.none": "No requests in the last 30 days.",
    "usage.dayTotal": "{used} counted · {refunded} given back",
    "usage.deletedChat": "deleted chat",
    "usage.outcome.charged": "Charged",
    "usage.outcome.stopped": "Stopped (charged)",
    "usage.outcome.refunded": "Given back",
    "usage.outcome.pending": "In progress",
    "notFound.title": "Page not found",
    "notFound.body": "There is nothing at this address.",
    "notFound.home": "Go to the public chats",
    "announce.answer": "The coach answered: {text}",
    "chat.copyAnswer": "Copy the answer",
    "chat.export": "Download as Markdown",
    "chat.export.failed": "No answer.",
    "chat.export.none": "No answer yet.",
    "chat.notFound.title": "Chat not found",
    "intake.answering": "The coach is answering…",
    "feed.retry": "Try again",
    "time.resetsAt": "{relative} (at {time})",
    "auth.password.show": "Show password",
    "auth.password.tooShort":
      "This password is too short. It must contain at least {min} characters.",
    "auth.required": "This field is required.",
    "drawer.signedInAs": "Logged in as {nickname}",
    "time.justNow": "just now",
  },
  ko: {
    "app.name": "chatbot",
    "app.tagline": "지금 여기서 시작하는 코치",
    skip: "본문으로 건너뛰기",
    "menu.label": "메뉴",
    "menu.close": "메뉴 닫기",
    "lang.label": "언어",
    "nav.feed": "공개 대화",
    "nav.new": "새 대화",
    "nav.mine": "내 대화",
    "nav.mine.empty": "아직 대화가 없어요. 새 대화를 시작하면 여기에 보여요.",
    "nav.mine.anon": "로그인하면 대화를 시작하고 여기에서 모아 볼 수 있어요.",
    "nav.more": "더 보기",
    "auth.login": "로그인",
    "auth.signup": "회원가입",
    "auth.logout": "로그아웃",
    "auth.signedInAs": "{nickname}(으)로 로그인함",
    "auth.email": "이메일",
    "auth.password": "비밀번호",
    "auth.password.hint": "10자 이상, 흔하지 않고 숫자만으로 되지 않은 비밀번호.",
    "auth.nickname": "닉네임",
    "auth.nickname.hint": "공개 대화 목록에서 내 대화 옆에 보여요.",
    "auth.about": "나에 대해 (선택)",
    "auth.about.hint": "나와 코치만 봐요. 더 알맞은 답을 받는 데 쓰여요.",
    "auth.bornYear": "출생 연도",
    "auth.job": "직업",
    "auth.login.title": "로그인",
    "auth.login.lead": "다시 오셨네요. 로그인하고 대화를 이어가세요.",
    "auth.login.submit": "로그인",
    "auth.login.busy": "로그인 중…",
    "auth.login.noAccount": "처음이신가요?",
    "auth.signup.title": "계정 만들기",
    "auth.signup.lead": "가입하고 코치와 이야기해 보세요. 대화는 닉네임과 함께 공개돼요.",
    "auth.signup.submit": "계정 만들기",
    "auth.signup.busy": "계정을 만드는 중…",
    "auth.signup.haveAccount": "이미 계정이 있나요?",
    "auth.expired": "로그인이 만료됐어요. 다시 로그인해 주세요. 입력한 내용은 그대로 있어요.",
    "auth.loggedOut": "로그아웃했어요.",
    "auth.loginNeeded": "계속하려면 로그인해 주세요.",
    "auth.oauth.or": "또는",
    "auth.oauth.github": "GitHub로 계속하기",
    "auth.oauth.kakao": "카카오 로그인",
    "auth.oauth.busy": "로그인을 마무리하는 중…",
    "auth.forgot.link": "비밀번호를 잊으셨나요?",
    "auth.forgot.title": "비밀번호 재설정",
    "auth.forgot.lead": "가입한 이메일을 입력하면 새 비밀번호를 정할 수 있는 링크를 보내 드려요.",
    "auth.forgot.submit": "링크 보내기",
    "auth.forgot.busy": "보내는 중…",
    "auth.forgot.sent":
      "이 이메일로 가입한 계정이 있다면 링크를 보냈어요. 1시간 동안 쓸 수 있어요. 스팸함도 확인해 주세요.",
    "auth.forgot.back": "로그인으로 돌아가기",
    "auth.reset.title": "새 비밀번호 정하기",
    "auth.reset.lead": "새 비밀번호를 정하면 이 계정의 모든 로그인이 끝나요.",
    "auth.reset.password": "새 비밀번호",
    "auth.reset.submit": "새 비밀번호 저장",
    "auth.reset.busy": "저장하는 중…",
    "auth.reset.invalid": "시간이 지났거나 이미 사용한 링크예요.",
    "auth.reset.askAgain": "새 링크 받기",
    "auth.reset.done": "비밀번호를 바꿨어요. 새 비밀번호로 로그인해 주세요.",
    "consent.over14": "만 14세 이상입니다",
    "consent.terms": "이용약관 및 개인정보 처리방침에 동의합니다",
    "consent.read": "{terms}과 {privacy}을 읽어 보세요.",
    "consent.termsLink": "이용약관",
    "consent.privacyLink": "개인정보 처리방침",
    "consent.title": "시작하기 전에",
    "consent.lead":
      "코치와 대화하려면 이용약관과 개인정보 처리방침에 동의하고 만 14세 이상인지 확인해 주세요.",
    "consent.submit": "동의하고 계속하기",
    "consent.busy": "저장하는 중…",
    "consent.later": "나중에 하기: 공개 대화 보기",
    "verify.title": "이메일 확인",
    "verify.busy": "링크를 확인하는 중…",
    "verify.done": "이메일이 확인됐어요.",
    "verify.start": "대화 시작하기",
    "verify.login": "로그인",
    "verify.onward": "공개 대화로 가기",
    "verify.invalid": "시간이 지났거나 이미 사용했거나 온전하지 않은 링크예요.",
    "verify.sendNew": "새 링크 보내기",
    "verify.sent": "보냈어요. 받은편지함을 확인해 주세요.",
    "verify.banner": "이메일을 확인해 주세요. {email}(으)로 링크를 보냈어요.",
    "verify.banner.again": "다시 보내기",
    "quota.left": "오늘 남은 요청 {remaining}/{limit}회",
    "quota.short": "오늘 {remaining}/{limit}회 남음",
    "quota.none": "오늘 쓸 수 있는 요청 {limit}회를 모두 썼어요. {time}부터 다시 물어볼 수 있어요.",
    "quota.noneShort": "오늘 남은 요청 없음",
    "feed.title": "공개 대화",
    "feed.lead":
      "모든 대화는 공개돼요. 다른 사람들이 지금에서 목표로 어떻게 가고 있는지 읽어 보세요.",
    "feed.empty": "아직 대화가 없어요. 첫 대화를 시작해 보세요.",
    "feed.by": "{nickname} 님",
    "feed.anonymous": "익명",
    "chat.byAnonymous": "익명으로 시작한 대화",
    "chat.readOnly.anonymous": "익명의 대화를 읽고 있어요.",
    "chat.anonymous.mine": "내 대화라는 것은 나만 볼 수 있어요.",
    "chat.anonymous.hide": "닉네임 숨기기",
    "chat.anonymous.show": "닉네임 보이기",
    "chat.anonymous.hidden": "이 대화에서 닉네임을 숨겼어요.",
    "chat.anonymous.shown": "이 대화에 닉네임을 보여요.",
    "intake.anonymous": "닉네임 없이 올리기",
    "settings.profile.anonymous": "새 대화를 닉네임 없이 올리기",
    "settings.profile.anonymous.hint": "다른 사람에게는 익명으로 보여요. 대화마다 바꿀 수 있어요.",
    "feed.turns": "메시지 {count}개",
    "feed.turns.one": "메시지 1개",
    "feed.loading": "대화를 불러오는 중…",
    "feed.more": "대화 더 불러오기",
    "feed.end": "지금까지 올라온 대화를 다 봤어요.",
    "journey.from": "지금",
    "journey.to": "목표",
    "journey.start": "이 여정으로 시작하기",
    "journey.startNote":
      "“{title}”의 여정에서 시작해요. 답이 미리 채워져 있어요. 원하는 대로 고친 뒤 보내세요.",
    "share.button": "공유",
    "share.copiedShort": "복사됨",
    "share.copied": "링크를 복사했어요: {url}",
    "share.copyThis": "이 링크를 복사하세요: {url}",
    "search.label": "대화 검색",
    "search.placeholder": "여정을 검색해 보세요. 예: 개발자, 팀장",
    "search.loading": "검색하는 중…",
    "search.empty": "“{q}”에 맞는 대화가 없어요.",
    "search.tip.fewer": "단어를 줄여 보세요. 모든 단어가 들어 있는 대화만 찾아요.",
    "search.tip.forms": "더 짧은 형태로 검색해 보세요. (팀장님 대신 팀장)",
    "search.tip.try": "이런 검색은 어때요:",
    "search.example.ko": "개발자",
    "search.example.en": "developer",
    "search.end": "검색에 맞는 대화를 모두 봤어요.",
    "chat.loading": "대화를 불러오는 중…",
    "chat.by": "{nickname} 님이 시작한 대화",
    "chat.delete": "대화 삭제",
    "chat.delete.title": "이 대화를 삭제할까요?",
    "chat.delete.body":
      "“{title}” 대화와 모든 메시지가 모두에게서 사라져요. 오늘 이미 쓴 요청은 돌아오지 않아요.",
    "chat.delete.confirm": "삭제",
    "chat.deleted": "대화를 삭제했어요.",
    "chat.cancel": "취소",
    "chat.readOnly": "{nickname} 님의 대화를 읽고 있어요.",
    "chat.hidden.badge": "숨김",
    "chat.hidden.title": "숨겨진 대화예요.",
    "chat.hidden.body": "지금은 나만 볼 수 있어요. 읽거나 삭제할 수는 있어요.",
    "chat.hidden.reason.reports": "여러 회원이 신고해서 운영진이 검토할 때까지 숨겨 두었어요.",
    "chat.hidden.reason.spam": "운영진이 스팸·광고로 보고 숨겼어요.",
    "chat.hidden.reason.abuse": "운영진이 욕설·괴롭힘으로 보고 숨겼어요.",
    "chat.hidden.reason.personal_data": "개인정보가 드러나 있어 운영진이 숨겼어요.",
    "chat.hidden.reason.illegal": "운영진이 불법 콘텐츠로 보고 숨겼어요.",
    "chat.hidden.reason.other": "운영진이 숨겼어요.",
    "report.open": "신고",
    "report.title": "이 대화 신고하기",
    "report.intro":
      "무엇이 문제인지 운영진에게 알려 주세요. 누가 신고했는지는 작성자에게 알리지 않아요.",
    "report.reason": "사유",
    "report.reason.spam": "스팸·광고",
    "report.reason.abuse": "욕설·괴롭힘",
    "report.reason.personal_data": "다른 사람의 개인정보",
    "report.reason.illegal": "불법 콘텐츠",
    "report.reason.other": "기타",
    "report.detail": "자세한 내용 (선택)",
    "report.send": "신고하기",
    "report.pick": "사유를 골라 주세요.",
    "report.sent": "신고해 주셔서 고마워요. 운영진이 이 대화를 살펴볼게요.",
    "report.done": "신고함",
    "report.unverified":
      "신고하려면 먼저 이메일을 인증해 주세요. 메일로 보낸 링크를 열거나, 페이지 위에서 새 링크를 받으세요.",
    "errors.already_reported": "이미 신고한 대화예요.",
    "errors.own_chat": "내 대화는 신고할 수 없어요. 대신 삭제할 수 있어요.",
    "errors.chat_hidden": "운영진이 숨긴 대화예요. 읽거나 삭제만 할 수 있어요.",
    "chat.readOnly.anon": "로그인하면 나만의 대화를 시작할 수 있어요.",
    "chat.you": "나",
    "chat.bot": "코치",
    "chat.copy": "복사",
    "chat.copied": "복사됨",
    "chat.copy.label": "코드 복사",
    "chat.copyFailed": "복사하지 못했어요. 텍스트를 선택해서 복사해 주세요.",
    "chat.thinking": "생각하는 중…",
    "chat.stopped": "끝나기 전에 멈췄어요.",
    "chat.pending": "아직 답을 쓰는 중이에요. 잠시 후 새로고침해 보세요.",
    "chat.failed": "답이 없어요: {reason}",
    "chat.retry": "다시 묻기",
    "chat.reload": "대화 새로고침",
    "chat.notFound": "없는 대화이거나 삭제된 대화예요.",
    "chat.answerLabel": "코치의 답",
    "chat.image": "이미지",
    "composer.label": "메시지",
    "composer.placeholder": "이어서 물어보세요…",
    "composer.send": "보내기",
    "composer.stop": "멈추기",
    "composer.hint": "Enter로 보내고 Shift+Enter로 줄을 바꿔요",
    "composer.tooLong": "최대 {max}자보다 {count}자 길어요.",
    "composer.answerLabel": "내 답",
    "intake.title": "새 대화",
    "intake.lead": "코치가 먼저 짧은 질문 세 개를 드려요.",
    "intake.step": "질문 {n}/{total}",
    "intake.skip": "건너뛰기",
    "intake.placeholder": "답을 입력하세요…",
    "intake.required": "다음으로 가기 전에 이 질문에 답해 주세요.",
    "intake.back": "이전 답 고치기",
    "intake.loading": "코치의 질문을 불러오는 중…",
    "intake.model": "모델",
    "privacy.email":
      "이메일 주소가 들어 있어요. 대화는 공개되어 누구나 읽을 수 있어요. 고치거나 그대로 보낼 수 있어요.",
    "privacy.phone":
      "전화번호가 들어 있어요. 대화는 공개되어 누구나 읽을 수 있어요. 고치거나 그대로 보낼 수 있어요.",
    "privacy.sendAnyway": "그대로 보내기",
    "errors.personal_data.rrn":
      "주민등록번호로 보여요. 대화는 공개되므로 보낼 수 없어요. 지우고 다시 보내 주세요.",
    "errors.personal_data.card":
      "카드 번호로 보여요. 대화는 공개되므로 보낼 수 없어요. 지우고 다시 보내 주세요.",
    "errors.network": "서버에 연결하지 못했어요. 인터넷 연결을 확인하고 다시 시도해 주세요.",
    "errors.quota":
      "오늘 쓸 수 있는 요청 {limit}회를 모두 썼어요. {time}부터 다시 물어볼 수 있어요.",
    "errors.upstream_error":
      "AI 모델에 문제가 생겨 답을 받지 못했어요. 질문은 저장됐으니 다시 시도해 주세요.",
    "errors.upstream_busy": "지금 AI 모델이 바빠요. 질문은 저장됐으니 잠시 후 다시 시도해 주세요.",
    "errors.upstream_timeout": "AI 모델의 답이 너무 늦어요. 질문은 저장됐으니 다시 시도해 주세요.",
    "errors.interrupted":
      "답을 쓰던 서버가 멈춰서 답이 끝나지 못했어요. 요청 횟수는 돌려드렸으니 다시 물어봐 주세요.",
    "errors.invalid_credentials": "이메일과 비밀번호가 맞는 계정이 없어요.",
    "errors.throttled": "시도가 너무 많아요. 1분쯤 기다렸다가 다시 해 주세요.",
    "errors.token_invalid": "시간이 지났거나 이미 사용한 링크예요.",
    "errors.not_chat_owner": "대화를 시작한 사람만 할 수 있어요.",
    "errors.chat_not_found": "없는 대화이거나 삭제된 대화예요.",
    "errors.not_found": "찾을 수 없어요.",
    "errors.invalid": "다시 확인해야 할 항목이 있어요.",
    "errors.under_14": "만 14세 이상만 이용할 수 있어요.",
    "errors.email_unverified":
      "대화하려면 먼저 이메일을 확인해 주세요. 메일로 보낸 링크를 열거나, 위의 ‘다시 보내기’로 새 링크를 받으세요.",
    "errors.consent_required": "대화하려면 먼저 이용약관과 개인정보 처리방침에 동의해 주세요.",
    "errors.request_too_large": "메시지가 너무 길어요.",
    "errors.stream": "답이 중간에 끊겼어요. 대화를 새로고침하면 저장된 내용을 볼 수 있어요.",
    "errors.server": "서버에 문제가 생겼어요. 잠시 후 다시 시도해 주세요.",
    "errors.unknown": "문제가 생겼어요. 다시 시도해 주세요.",
    "errors.oauth_state_invalid":
      "이 로그인이 여기서 시작됐는지 확인하지 못했어요(시간이 지났을 수 있어요). 다시 시도해 주세요.",
    "errors.oauth_denied": "제공자에서 로그인을 취소했어요. 바뀐 것은 없어요.",
    "errors.oauth_provider_error": "제공자가 로그인을 마치지 못했어요. 잠시 후 다시 시도해 주세요.",
    "errors.oauth_account_conflict": "로그인이 완료되지 않았어요. 다시 시도해 주세요.",
    "errors.oauth_email_taken":
      "이 이메일로 가입한 계정이 이미 있어요. 계정을 안전하게 지키기 위해 이 로그인과 연결하지 않았어요. 그 계정의 이메일과 비밀번호로 로그인한 뒤 설정에서 이 서비스를 연결해 주세요.",
    "errors.oauth_account_taken":
      "그 계정은 이미 여기의 다른 계정에 연결되어 있어요. 바뀐 것은 없어요.",
    "errors.oauth_provider_already_linked":
      "이 서비스의 다른 계정이 이미 연결되어 있어요. 먼저 연결을 끊어 주세요.",
    "errors.oauth_code_invalid": "로그인 시간이 지났거나 이미 사용됐어요. 다시 로그인해 주세요.",
    "errors.oauth_provider_not_found": "여기서는 이 방법으로 로그인할 수 없어요.",
    "errors.csp":
      "이 페이지의 보안 정책이 {origin}의 API 연결을 막고 있어요. apiBase를 설정한 뒤 프런트엔드를 다시 빌드해 주세요.",
    "nav.settings": "설정",
    "settings.title": "설정",
    "settings.lead": "프로필, 로그인 방법, 내 데이터를 관리해요.",
    "settings.loading": "설정을 불러오는 중…",
    "settings.sending": "보내는 중…",
    "settings.profile": "프로필",
    "settings.profile.hint":
      "닉네임은 내 대화와 함께 공개돼요. 출생 연도와 직업은 선택 항목이며 다른 사람에게 보이지 않아요.",
    "settings.profile.save": "변경 내용 저장",
    "settings.profile.saving": "저장하는 중…",
    "settings.profile.saved": "저장했어요.",
    "settings.email": "이메일",
    "settings.email.verified": "확인됨",
    "settings.email.unverified": "아직 확인되지 않음",
    "settings.email.verifiedHint": "비밀번호 재설정 같은 계정 관련 메일은 이 주소로 가요.",
    "settings.email.unverifiedHint":
      "이 주소로 보낸 링크를 열면 확인돼요. 메일이 없다면 스팸함을 확인하거나 다시 보내 주세요.",
    "settings.email.none":
      "이 계정에는 이메일 주소가 없어요. 로그인에 쓰는 서비스가 이메일을 알려 주지 않아서 메일을 보내지 않아요.",
    "settings.password": "비밀번호",
    "settings.password.lead":
      "바꾸면 다른 모든 기기에서 로그아웃되고, 이 기기는 로그인된 채로 있어요.",
    "settings.password.current": "현재 비밀번호",
    "settings.password.new": "새 비밀번호",
    "settings.password.submit": "비밀번호 바꾸기",
    "settings.password.busy": "바꾸는 중…",
    "settings.password.done": "비밀번호를 바꿨어요. 다른 모든 기기에서는 로그아웃됐어요.",
    "settings.password.none": "{providers}(으)로 로그인하기 때문에 이 계정에는 비밀번호가 없어요.",
    "settings.password.provider": "외부 서비스",
    "settings.password.set":
      "{email}이(가) 메일을 받아 볼 수 있는 주소라면, “비밀번호를 잊으셨나요?” 페이지에서 메일로 받은 링크로 비밀번호를 정할 수 있어요:",
    "settings.password.noMailbox":
      "비밀번호를 정하려면 재설정 링크를 받을 이메일 주소가 있어야 하는데, 이 계정에는 없어요.",
    "settings.providers": "연결된 로그인",
    "settings.providers.lead": "이메일 말고 이 계정으로도 로그인할 수 있어요.",
    "settings.providers.none": "이 서비스에서는 다른 로그인 방법을 제공하지 않아요.",
    "settings.providers.connected": "연결됨",
    "settings.providers.notConnected": "연결 안 됨",
    "settings.providers.unavailable": "지금은 제공하지 않음",
    "settings.providers.connect": "연결",
    "settings.providers.connectLabel": "{provider} 연결",
    "settings.providers.disconnect": "연결 해제",
    "settings.providers.disconnectLabel": "{provider} 연결 해제",
    "settings.providers.busy": "잠시만요…",
    "settings.providers.going": "{provider}(으)로 이동하는 중…",
    "settings.providers.linked":
      "{provider} 계정을 연결했어요. 이제 {provider}(으)로도 로그인할 수 있어요.",
    "settings.providers.unlinked": "{provider} 연결을 해제했어요.",
    "settings.oauth.oauth_denied": "제공자에서 연결을 취소했어요. 바뀐 것은 없어요.",
    "settings.export": "내 데이터",
    "settings.export.lead":
      "이 서비스가 보관하는 내 정보를 모두 JSON 파일로 내려받아요. 프로필, 동의 기록, 날짜별 사용량, 내 모든 대화와 메시지가 들어 있어요.",
    "settings.export.submit": "내 데이터 내려받기",
    "settings.export.busy": "파일을 준비하는 중…",
    "settings.export.done": "{file} 파일을 내려받았어요.",
    "settings.everywhere": "모든 기기에서 로그아웃",
    "settings.everywhere.lead":
      "이 기기를 포함해 모든 브라우저와 기기의 로그인을 끝내요. 내 것이 아닌 컴퓨터에서 로그인했거나 누군가 내 로그인을 쓰고 있는 것 같을 때 쓰세요. 지금 사용 중인 기기도 몇 분 안에 접근이 끊겨요.",
    "settings.everywhere.submit": "모든 기기에서 로그아웃",
    "settings.everywhere.busy": "로그아웃하는 중…",
    "settings.everywhere.title": "모든 기기에서 로그아웃할까요?",
    "settings.everywhere.body": "이 기기를 포함한 모든 기기에서 다시 로그인해야 해요.",
    "settings.everywhere.done": "모든 기기에서 로그아웃했어요.",
    "settings.delete": "계정 삭제",
    "settings.delete.lead": "서비스를 떠나며 내 모든 것을 지워요. 되돌릴 수 없어요.",
    "settings.delete.open": "계정 삭제…",
    "settings.delete.title": "계정을 삭제할까요?",
    "settings.delete.intro": "다음이 즉시, 영구히 삭제돼요.",
    "settings.delete.chats": "내 모든 대화와 그 안의 모든 메시지",
    "settings.delete.archive":
      "공개 보관함의 내 대화: 공개 대화 목록에서 사라지고 링크도 열리지 않아요",
    "settings.delete.profile": "프로필: 이메일, 닉네임, 출생 연도, 직업",
    "settings.delete.providers": "연결된 로그인(GitHub, 카카오)과 모든 기기의 로그인",
    "settings.delete.kept":
      "오늘 쓴 요청 횟수는 같은 이메일로 다시 가입하더라도 오늘이 끝날 때까지 그대로 남아요.",
    "settings.delete.password": "비밀번호",
    "settings.delete.confirm": "확인을 위해 닉네임 {nickname}을(를) 입력하세요",
    "settings.delete.submit": "계정 삭제",
    "settings.delete.busy": "삭제하는 중…",
    "settings.delete.done": "계정을 삭제했어요. 그동안 고마웠어요.",
    "provider.github": "GitHub",
    "provider.kakao": "카카오",
    "errors.last_login_method":
      "이 계정에 로그인할 수 있는 마지막 방법이라 연결을 해제할 수 없어요. 먼저 비밀번호를 정하거나(“비밀번호를 잊으셨나요?” 페이지에서 링크를 받아요) 다른 로그인을 연결해 주세요.",
    "errors.oauth_provider_not_linked": "내 계정에 연결되지 않은 로그인이에요.",
    "errors.no_password": "이 계정에는 비밀번호가 없어요. 외부 서비스로 로그인해요.",
    "errors.login_too_old":
      "안전을 위해 최근에 로그인했을 때만 할 수 있어요. 다시 로그인한 뒤 10분 안에 삭제해 주세요.",
    "footer.label": "서비스 정보",
    "legal.terms": "이용약관",
    "legal.privacy": "개인정보 처리방침",
    "legal.loading": "불러오는 중…",
    "legal.missing": "이 페이지를 불러오지 못했어요. 잠시 후 다시 시도해 주세요.",
    "feedback.label": "이 답변 평가하기",
    "feedback.up": "좋은 답변",
    "feedback.down": "아쉬운 답변",
    "usage.title": "사용 내역",
    "usage.lead": "최근 30일 동안 코치에게 보낸 요청과 차감 여부예요.",
    "usage.loading": "사용 내역을 불러오는 중…",
    "usage.today": "오늘 {limit}회 중 {used}회 사용했어요. {resets}에 다시 채워져요.",
    "usage.none": "최근 30일 동안 보낸 요청이 없어요.",
    "usage.dayTotal": "{used}회 차감 · {refunded}회 돌려받음",
    "usage.deletedChat": "삭제된 대화",
    "usage.outcome.charged": "차감됨",
    "usage.outcome.stopped": "중지됨 (차감)",
    "usage.outcome.refunded": "돌려받음",
    "usage.outcome.pending": "작성 중",
    "notFound.title": "페이지를 찾을 수 없어요",
    "notFound.body": "이 주소에는 아무것도 없어요.",
    "notFound.home": "공개 대화로 가기",
    "announce.answer": "코치의 답: {text}",
    "chat.copyAnswer": "답 복사",
    "chat.export": "마크다운으로 내려받기",
    "chat.export.failed": "답이 없어요.",
    "chat.export.none": "아직 답이 없어요.",
    "chat.notFound.title": "대화를 찾을 수 없어요",
    "intake.answering": "코치가 답하는 중…",
    "feed.retry": "다시 시도",
    "time.resetsAt": "{relative}({time})",
    "auth.password.show": "비밀번호 보기",
    "auth.password.tooShort": "비밀번호가 너무 짧아요. {min}자 이상이어야 해요.",
    "auth.required": "이 항목을 입력해 주세요.",
    "drawer.signedInAs": "{nickname} 님으로 로그인함",
    "time.justNow": "방금",
  },
};

// The API explains invalid fields in English; these are the messages a person can trigger from
// this app's forms, in Korean. Anything else is shown as the API wrote it.
const SERVER_MESSAGES_KO = {
  "A member with this email already exists.": "이미 이 이메일로 가입한 계정이 있어요.",
  "This nickname is taken.": "이미 쓰이고 있는 닉네임이에요.",
  "Enter a valid email address.": "올바른 이메일 주소를 입력해 주세요.",
  "This field may not be blank.": "이 항목을 입력해 주세요.",
  "This field is required.": "이 항목을 입력해 주세요.",
  "This password is too short. It must contain at least 10 characters.":
    "비밀번호가 너무 짧아요. 10자 이상이어야 해요.",
  "This password is too common.": "너무 흔한 비밀번호예요.",
  "This password is entirely numeric.": "숫자로만 된 비밀번호는 쓸 수 없어요.",
  "The password is too similar to the email.": "비밀번호가 이메일과 너무 비슷해요.",
  "The password is too similar to the nickname.": "비밀번호가 닉네임과 너무 비슷해요.",
  "A valid integer is required.": "숫자를 입력해 주세요.",
  "The current password is wrong.": "현재 비밀번호가 맞지 않아요.",
  "The password is wrong.": "비밀번호가 맞지 않아요.",
  "Type your nickname to confirm.": "확인을 위해 닉네임을 정확히 입력해 주세요.",
  "A nickname cannot be blank.": "닉네임을 입력해 주세요.",
  "Accept the terms and the privacy policy to continue.":
    "계속하려면 이용약관과 개인정보 처리방침에 동의해 주세요.",
  "Confirm that you are 14 or older to continue.": "계속하려면 만 14세 이상인지 확인해 주세요.",
  "You must be 14 or older to use this service.": "만 14세 이상만 이용할 수 있어요.",
};

// Messages with a number in them, in both languages where the API's wording names a field.
const SERVER_PATTERNS = [
  [
    /^born_year must be between (\d+) and (\d+)\.$/,
    {
      en: (from, to) => `The year of birth must be between ${from} and ${to}.`,
      ko: (from, to) => `출생 연도는 ${from}년부터 ${to}년 사이여야 해요.`,
    },
  ],
  [
    /^A nickname has at most (\d+) characters\.$/,
    { ko: (n) => `닉네임은 ${n}자까지 쓸 수 있어요.` },
  ],
  [/^A job has at most (\d+) characters\.$/, { ko: (n) => `직업은 ${n}자까지 쓸 수 있어요.` }],
  [
    /^Ensure this field has no more than (\d+) characters\.$/,
    { ko: (n) => `${n}자까지 쓸 수 있어요.` },
  ],
];

export function translateServerMessage(text) {
  if (current === "ko" && SERVER_MESSAGES_KO[text]) return SERVER_MESSAGES_KO[text];
  for (const [pattern, languages] of SERVER_PATTERNS) {
    const match = String(text).match(pattern);
    if (match && languages[current]) return languages[current](...match.slice(1));
  }
  return text;
}

export const LANGUAGES = [
  { code: "ko", name: "한국어" },
  { code: "en", name: "English" },
];
const STORAGE_KEY = "chatbot.language";
const listeners = new Set();

function initialLanguage() {
  const saved = localStorage.getItem(STORAGE_KEY);
  if (saved && saved in STRINGS) return saved;
  for (const tag of navigator.languages ?? [navigator.language]) {
    const base = String(tag).toLowerCase().split("-")[0];
    if (base in STRINGS) return base;
  }
  return "en";
}

let current = initialLanguage();
document.documentElement.lang = current;

export function language() {
  return current;
}

export function setLanguage(code) {
  if (!(code in STRINGS) || code === current) return;
  current = code;
  localStorage.setItem(STORAGE_KEY, code);
  document.documentElement.lang = code;
  for (const listener of listeners) listener(code);
}

export function onLanguageChange(listener) {
  listeners.add(listener);
}

/** The string for `key` with {placeholders} filled in; the key itself if it is missing, so a
 * forgotten translation shows up in review instead of as an empty space. */
export function t(key, params = {}) {
  const template = STRINGS[current][key] ?? STRINGS.en[key] ?? key;
  return template.replace(/\{(\w+)\}/g, (match, name) =>
    name in params ? String(params[name]) : match,
  );
}

/** t() for a sentence with elements in it (links): each `{name}` becomes `parts[name]`, a node
 * or a string; the rest stays text. */
export function tParts(key, parts) {
  const template = STRINGS[current][key] ?? STRINGS.en[key] ?? key;
  return template
    .split(/(\{\w+\})/)
    .filter(Boolean)
    .map((piece) => {
      const name = piece.match(/^\{(\w+)\}$/)?.[1];
      return name && name in parts ? parts[name] : piece;
    });
}

export function has(key) {
  return key in STRINGS.en;
}

export function formatNumber(value) {
  return new Intl.NumberFormat(current).format(value);
}

/** A date and time in the reader's own time zone (the browser's), e.g. for quota resets. */
export function formatDateTime(iso) {
  return new Intl.DateTimeFormat(current, {
    dateStyle: "medium",
    timeStyle: "short",
    hourCycle: "h23",
  }).format(new Date(iso));
}

const UNITS = [
  ["year", 365 * 24 * 3600],
  ["month", 30 * 24 * 3600],
  ["week", 7 * 24 * 3600],
  ["day", 24 * 3600],
  ["hour", 3600],
  ["minute", 60],
];

/** When the daily allowance comes back: "in 3 hours (at 00:00)" / "3시간 후(00:00)". The wait
 * is counted from `iso` as the API gives it (midnight in the service's time zone); the clock
 * time is the reader's own, like every other time on the page. */
export function formatReset(iso, now = Date.now()) {
  const at = new Date(iso);
  const minutes = Math.max(1, Math.ceil((at.getTime() - now) / 60_000));
  const relative = new Intl.RelativeTimeFormat(current, { numeric: "always" });
  return t("time.resetsAt", {
    relative:
      minutes < 60
        ? relative.format(minutes, "minute")
        : relative.format(Math.round(minutes / 60), "hour"),
    time: new Intl.DateTimeFormat(current, { timeStyle: "short", hourCycle: "h23" }).format(at),
  });
}

/** "3 hours ago" / "3시간 전"; dates older than a week read as dates. */
export function formatRelative(iso, now = Date.now()) {
  const seconds = Math.round((new Date(iso).getTime() - now) / 1000);
  if (Math.abs(seconds) < 60) return t("time.justNow");
  if (Math.abs(seconds) >= 7 * 24 * 3600) {
    return new Intl.DateTimeFormat(current, { dateStyle: "medium" }).format(new Date(iso));
  }
  const format = new Intl.RelativeTimeFormat(current, { numeric: "auto" });
  for (const [unit, size] of UNITS) {
    if (Math.abs(seconds) >= size) return format.format(Math.trunc(seconds / size), unit);
  }
  return t("time.justNow");
}
