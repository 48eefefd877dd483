//! The texts of the web pages in English and French: two catalogues with the same keys.
//!
//! A text may hold `{name}` placeholders, filled by [`Tr::fmt`]. A test checks that both
//! catalogues have the same keys and that every key a template or handler asks for exists.

use crate::i18n::Lang;

/// The English catalogue.
const EN: &[(&str, &str)] = &[
    ("nav.skip", "Skip to the content"),
    ("nav.label", "Main"),
    ("nav.trainings", "Trainings"),
    ("nav.verify", "Verify a file"),
    ("nav.keys", "Keys"),
    ("nav.signed_in_as", "Signed in as"),
    ("nav.logout", "Log out"),
    ("nav.signed_in_through_moodle", "Signed in through your Moodle session (log out in Moodle) as"),
    ("error.back", "Back to the trainings"),
    ("error.not_found.title", "Not found"),
    ("error.not_found.text", "There is no such page or training on this site. It may have been deleted; go back to the list of trainings."),
    ("error.token.title", "Form expired"),
    ("error.token.text", "This form was refused because it did not carry the security token of your session: it may be older than your last login or come from another site. Go back, reload the page and send it again."),
    ("error.origin.title", "Request from another site refused"),
    ("error.origin.text", "This request was sent from a page of another site, so it was refused. Use the forms of this site; behind a reverse proxy, make it pass the original Host header."),
    ("error.too_large.title", "File too large"),
    ("error.too_large.text", "The request is larger than this server accepts. Send a smaller file, or ask the administrator to raise `serve --max-upload`."),
    ("error.bad_form.title", "Form not understood"),
    ("error.bad_form.text", "The form that was sent cannot be read. Go back, reload the page and send it again."),
    ("error.no_key.title", "No signing key"),
    ("error.no_key.text", "This site has no signing key to sign the backup with. On the server, create one with `attestoodle-backup keys generate` (as the user that runs `serve`), then download again."),
    ("error.cannot_save.title", "This training cannot be saved"),
    ("error.cannot_save.text", "The training cannot be written to a backup as it is (for example its category was deleted). Run `attestoodle-backup save --id ID` on the server to see why."),
    ("restore.course_map", "Course map (a CSV file of OLD,NEW short names, one course a line; clone only)"),
    ("restore.start", "Or the clone's new start date (every other date moves by as many days)"),
    ("restore.learners_choice", "Learners and their certificate settings"),
    ("restore.learners_default", "As the mode says (restored with a restore, left out of a clone)"),
    ("restore.learners_with", "Restore them"),
    ("restore.learners_without", "Leave them out"),
    ("restore.category_choice", "Category"),
    ("restore.category_auto", "The file's (found by idnumber, then by path)"),
    ("restore.template_choice", "When this site has a template of the same name with other content"),
    ("restore.template_reuse", "Use this site's as it is"),
    ("restore.template_replace", "Rewrite it with the file's (other trainings using it change too)"),
    ("restore.template_copy", "Create the file's under another name:"),
    ("restore.template_copy_name", "Name of the copy"),
    ("restore.copy_needs_name", "Give the name of the copy of the template, or choose another template choice."),
    ("restore.shift_or_start", "Give either a number of days to shift the dates by or a new start date, not both."),
    ("restore.bad_start", "The start date {value} is not a date: choose one in the date field (YYYY-MM-DD)."),
    ("restore.bad_course_map", "The course map cannot be read: {reason}. Each line must be OLD,NEW with two course short names."),
    ("restore.mapping", "What goes where"),
    ("restore.map_file_activity", "Activity in the file"),
    ("restore.map_site_course", "Course here"),
    ("restore.map_site_activity", "Activity here"),
    ("restore.map_how", "How"),
    ("restore.map_learners", "Learners"),
    ("restore.map_account", "Account here"),
    ("restore.change_options", "Change options"),
    ("restore.recheck", "Check again"),
    ("restore.group_details", "Details"),
    ("restore.accept_one", "Accept this one"),
    ("restore.accept_code", "Accept all {n} finding(s) of this code:"),
    ("restore.compare", "What the replacement changes"),
    ("restore.compare_intro", "A is the training as it is now on this site, B the file: each line is what the replacement will write differently."),
    ("compare.title", "Compare with a backup"),
    ("compare.intro", "Upload a backup file (format 2, or a file of the PHP plugin) to see what differs between it (A) and this training as it is now (B): milestones by course, section and position, templates, learners."),
    ("compare.choose", "Backup file"),
    ("compare.submit", "Compare"),
    ("compare.back", "Back to the training"),
    ("compare.no_file", "Choose a backup file to compare with this training."),
    ("compare.rejected", "This file cannot be compared:"),
    ("training.template_heading", "Template"),
    ("training.background_alt", "The template's background image"),
    ("preview.alt", "Preview of the certificate template {name}: its background and every element at its place, with sample text"),
    ("preview.caption", "Preview with sample text; each element is outlined and named by its type (approximate: the PDF's fonts differ)."),
    ("preview.issues", "Not drawn as the template says:"),
    ("preview.heading", "The two templates named {name}"),
    ("preview.intro", "This site already has a template of this name with other content. Left, this site's (used as it is unless you choose otherwise below); right, the file's."),
    ("preview.site", "This site's template"),
    ("preview.file", "The file's template"),
    ("training.details", "The elements of the certificate"),
    ("training.detail_data", "Settings (as Attestoodle stores them)"),
    ("training.learner_name", "Name"),
    ("training.email", "Email"),
    ("training.account_gone", "account deleted: a backup leaves this learner out"),
    ("training.account_missing", "account {id}, which no longer exists"),
    ("training.course", "Course"),
    ("training.section", "Section"),
    ("training.position", "Position"),
    ("training.activity", "Activity"),
    ("training.type", "Type"),
    ("training.minutes", "Minutes credited"),
    ("training.download", "Download backup"),
    ("training.download_help", "A signed JSON file (format 2) to restore or clone this training with attestoodle-backup."),
    ("training.download_legacy", "Download for the PHP plugin"),
    ("training.download_legacy_help", "A file for tool_save_attestoodle (no signature, only a checksum)."),
    ("error.internal.title", "Internal error"),
    ("error.internal.text", "Something failed on the server (database or file system). The details are in the server's log; try again, or tell the administrator."),
    ("login.title", "Log in"),
    ("login.intro", "Log in with the Moodle account of a site administrator of this Moodle site."),
    ("login.username", "Username"),
    ("login.password", "Password"),
    ("login.submit", "Log in"),
    ("login.with_moodle", "Log in with Moodle"),
    ("login.moodle_elsewhere", "This Moodle keeps its sessions in {store}, which this tool does not read: log in here with the password of a local administrator account."),
    ("login.with_moodle_help", "for every Moodle login (CAS, Shibboleth, LDAP…): log in to Moodle as a site administrator, and you come back here logged in."),
    ("login.failed", "Wrong username or password, or this account cannot log in here (suspended, deleted, or its password is not stored in Moodle). Check them and try again."),
    ("login.throttled", "Too many failed logins for this username or from your address: wait {minutes} minutes, then try again."),
    ("not_allowed.title", "Not allowed"),
    ("not_allowed.text", "Only the site administrators of this Moodle site may use this tool, and this account is not one of them:"),
    ("not_allowed.what_to_do", "Log out and log in with an administrator account, or ask an administrator to do what you need."),
    ("trainings.title", "Trainings"),
    ("trainings.search", "Search by training or category name"),
    ("trainings.search_button", "Search"),
    ("trainings.name", "Training"),
    ("trainings.milestones", "Milestones"),
    ("trainings.orphans", "{n} orphan: activity or course gone"),
    ("trainings.learners", "Learners"),
    ("trainings.template", "Template"),
    ("trainings.summary", "{shown} of {total} trainings, in {categories} categories."),
    ("trainings.no_name", "(no name)"),
    ("trainings.no_template", "none"),
    ("trainings.no_category", "(category missing) #{id}"),
    ("training.back", "All trainings"),
    ("training.id", "Id in Moodle"),
    ("training.category", "Category"),
    ("keys.title", "Keys"),
    ("keys.own", "This site's public key"),
    ("keys.own_id", "Key id:"),
    ("keys.download", "Download this site's public key"),
    ("keys.own_missing", "This site has no signing key at {path} yet: create it on the server with `attestoodle-backup keys generate`, or start `serve` with `--key PATH`."),
    ("keys.own_unreadable", "This site's signing key cannot be used:"),
    ("keys.trusted", "Trusted keys"),
    ("keys.trusted_intro", "Backups signed with one of these keys, or with this site's own key, are shown as authentic."),
    ("keys.none_trusted", "No key is trusted besides this site's own."),
    ("keys.add", "Trust another site's key"),
    ("keys.paste", "Public key in PEM form (-----BEGIN PUBLIC KEY-----)"),
    ("keys.or_file", "or a file holding it"),
    ("keys.add_button", "Trust this key"),
    ("keys.added", "The key {id} is now trusted."),
    ("keys.already", "The key {id} was already trusted; nothing changed."),
    ("keys.own_already", "The key {id} is this site's own signing key, which is always trusted; nothing changed."),
    ("keys.nothing_given", "Paste a public key or choose a file holding one."),
    ("keys.refused", "This key was not trusted:"),
    ("keys.store_unreadable", "The trust store cannot be read:"),
    ("verify.title", "Verify a file"),
    ("verify.intro", "Check a backup file (format 2, or a file of the PHP plugin tool_save_attestoodle) without restoring it: its format, whether it is intact, and who signed it."),
    ("verify.choose", "Backup file"),
    ("verify.submit", "Verify"),
    ("verify.result", "Result"),
    ("verify.file", "File"),
    ("verify.format", "Format"),
    ("verify.training", "Training"),
    ("verify.integrity", "Integrity"),
    ("verify.authenticity", "Authenticity"),
    ("verify.format_v2", "attestoodle-backup, format 2"),
    ("verify.format_legacy", "PHP plugin tool_save_attestoodle (version 2019061667)"),
    ("verify.valid", "intact: the signature matches the content"),
    ("verify.invalid", "damaged or altered: {reason}"),
    ("verify.unsigned", "not signed: nothing proves the content is unchanged"),
    ("verify.trusted", "signed by a trusted key ({id})"),
    ("verify.untrusted", "not trusted: signed with key {id}, which this site does not trust; add it on the Keys page if you know where it comes from"),
    ("verify.broken", "none: the signature (key {id}) does not match the content, so the file was changed after it was signed; no key can make it valid — use an intact copy of the backup"),
    ("verify.no_signature", "none: files of the PHP plugin carry no signature"),
    ("verify.checksum_ok", "intact: the checksum matches the content"),
    ("verify.checksum_bad", "damaged or altered: the checksum does not match the content"),
    ("verify.rejected", "This file cannot be read as a backup:"),
    ("verify.no_file", "Choose a file to verify."),
    ("nav.restore", "Restore or clone"),
    ("restore.title", "Restore or clone"),
    ("advice.accept", "tick it to accept it"),
    ("advice.trust_key", "import the signer's public key on the Keys page"),
    ("advice.name", "type another name in the field “{field}”"),
    ("advice.name_proposal", "type another name in the field “{field}”, for example “{proposal}”"),
    ("advice.suffix_or_name", "change the field “{suffix}” or “{name}”"),
    ("advice.category", "choose one in the list “{field}”"),
    ("advice.dates", "move them with the field “{shift}” or “{start}”"),
    ("advice.rename_course", "map this course with a line {course}=SHORTNAME in the field “{field}”"),
    ("advice.file_store", "this server does not reach Moodle's file store: its administrator starts it with Moodle's configuration file"),
    ("advice.template_copy", "choose “{copy}” under “{choice}” and type a name in “{field}”"),
    ("advice.template_copy_proposal", "choose “{copy}” under “{choice}” and type a name in “{field}”, for example “{proposal}”"),
    ("advice.template_replace", "choose “{replace}” under “{choice}”"),
    ("advice.with_learners", "choose “{with}” in the list “{field}” to restore them"),
    ("clone.title", "Clone for next year"),
    ("clone.intro", "Make a copy of this training onto renamed courses (for example next year's copies, with a suffix), with its dates moved. The training is read as it is now, exactly as a download of its backup would give it; nothing is written before you see the check and apply it."),
    ("clone.check", "Check the clone"),
    ("restore.intro", "Upload a backup file (format 2, or a file of the PHP plugin tool_save_attestoodle), choose whether to restore the training or clone it under a new name, then check what will be written before applying. The file is kept only in this session's memory, for 30 minutes at most."),
    ("restore.file", "Backup file"),
    ("restore.mode", "What to do"),
    ("restore.mode_restore_help", "Restore: recreate the training, or replace the training of the same name"),
    ("restore.mode_clone_help", "Clone: a new training on renamed courses (never replaces)"),
    ("restore.name", "New training name (optional)"),
    ("restore.suffix", "Suffix added to the training name and to every course short name (clone)"),
    ("restore.courses", "Course renames (clone), one OLD=NEW per line"),
    ("restore.shift", "Days to shift every date by (clone; may be negative)"),
    ("restore.check", "Check"),
    ("restore.no_mode", "Choose restore or clone."),
    ("restore.clone_only", "The suffix, the course renames and map, the date shift and the new start date are for a clone: choose Clone, or empty these fields."),
    ("restore.bad_rename", "The course rename `{line}` is not valid: write OLD=NEW, e.g. CHIM101=CHIM101-2027, one per line, each course once."),
    ("restore.clone_needs_name", "A clone needs a new name: give a suffix (e.g. _2027), or a new training name with course renames."),
    ("restore.bad_shift", "`{value}` is not a number of days: write a whole number such as 365 or -7."),
    ("restore.rejected", "This file cannot be restored:"),
    ("restore.no_file", "Choose a backup file to restore or clone."),
    ("restore.expired", "The uploaded file is no longer kept (it expired, was already applied, or another file was uploaded since): upload it again."),
    ("restore.severity.info", "info"),
    ("restore.severity.accept", "to accept"),
    ("restore.severity.blocking", "blocking"),
    ("restore.action_replace", "replaces the training id {id}"),
    ("restore.action_create", "a new training"),
    ("restore.write_skip", "{write} to write, {skip} skipped"),
    ("restore.mode_restore", "Restore"),
    ("restore.mode_clone", "Clone"),
    ("restore.no_category", "(no category matches)"),
    ("restore.precheck", "Precheck"),
    ("restore.training", "Training"),
    ("restore.category", "Category"),
    ("restore.dates", "Dates"),
    ("restore.shifted", " (shifted by {days} days)"),
    ("restore.milestones", "Milestones"),
    ("restore.learners", "Learners"),
    ("restore.notes", "Notes on the conversion of the legacy file"),
    ("restore.findings", "Findings"),
    ("restore.no_findings", "Nothing to report."),
    ("restore.severity", "Severity"),
    ("restore.code", "Code"),
    ("restore.message", "Finding"),
    ("restore.subjects", "Concerns"),
    ("restore.blocked", "Blocking findings (in red) stop the restore: nothing can be written until they are fixed as they say. Fix them, then upload the file again."),
    ("restore.again", "Upload a file again"),
    ("restore.to_accept", "Before applying, accept every finding that needs it: one by one, or all the findings of a code with one tick (a restore goes on only when each one is accepted)."),
    ("repair.link", "Repair {n} broken milestone(s)"),
    ("repair.link_help", "relink the milestones whose activity was deleted to the activity of the same course that has their name."),
    ("repair.title", "Repair"),
    ("repair.intro", "A milestone is broken when its activity, its course or its activity type was deleted, or the activity is being deleted. Each is relinked to the one activity of its course that has the milestone's name, has completion enabled and is not a milestone of this training yet; the others are left as they are, with the reason."),
    ("repair.nothing", "No milestone of this training is broken: nothing to repair."),
    ("repair.relinks", "Milestones to relink"),
    ("repair.milestone", "Milestone"),
    ("repair.old", "Old course module"),
    ("repair.new", "New course module"),
    ("repair.accept", "Leave these milestones as they are:"),
    ("repair.apply", "Repair"),
    ("repair.tick", "Nothing was written: tick every finding to accept ({codes})."),
    ("repair.done", "{n} milestone(s) relinked."),
    ("restore.accept", "Accept"),
    ("restore.apply", "Apply"),
    ("restore.cancel", "Cancel and upload another file"),
    ("restore.tick", "Nothing was written: tick every finding to accept ({codes}), or cancel."),
    ("restore.written", "{milestones} milestone(s), {learners} learner(s), {styles} learner style(s), {planning} planning row(s)"),
    ("restore.previous_no_key", "This replace cannot keep the training as it is now, because this server has no signing key to sign that copy with: nothing was written. The server's administrator creates the key (see the Keys page), then apply again."),
    ("restore.previous_failed", "The training as it is now cannot be saved before it is replaced: nothing was written"),
    ("restore.previous_download", "Download the training as it was before the replace"),
    ("restore.previous_help", "a signed backup of what was replaced: restore it here to go back. It is kept only in this session, until you log out."),
    ("restore.done_created", "Training created"),
    ("restore.done_replaced", "Training replaced"),
    ("restore.written_label", "Written"),
    ("restore.templates_created", "Templates created"),
    ("restore.templates_replaced", "Templates replaced"),
    ("restore.skipped", "Left out"),
    ("restore.open", "Open the training in Moodle's Attestoodle pages"),
    ("restore.open_path", "The training in Moodle's Attestoodle pages, from the root of the Moodle site (its wwwroot is not known here):"),
];

/// The French catalogue.
const FR: &[(&str, &str)] = &[
    ("nav.skip", "Aller au contenu"),
    ("nav.label", "Principal"),
    ("nav.trainings", "Formations"),
    ("nav.verify", "Vérifier un fichier"),
    ("nav.keys", "Clés"),
    ("nav.signed_in_as", "Connecté en tant que"),
    ("nav.logout", "Se déconnecter"),
    ("nav.signed_in_through_moodle", "Connecté par votre session Moodle (déconnexion dans Moodle) en tant que"),
    ("error.back", "Retour aux formations"),
    ("error.not_found.title", "Introuvable"),
    ("error.not_found.text", "Cette page ou cette formation n'existe pas sur ce site. Elle a peut-être été supprimée ; revenez à la liste des formations."),
    ("error.token.title", "Formulaire expiré"),
    ("error.token.text", "Ce formulaire a été refusé car il ne portait pas le jeton de sécurité de votre session : il date peut-être d'avant votre dernière connexion, ou vient d'un autre site. Revenez en arrière, rechargez la page et envoyez-le de nouveau."),
    ("error.origin.title", "Requête venant d'un autre site refusée"),
    ("error.origin.text", "Cette requête a été envoyée depuis une page d'un autre site ; elle a donc été refusée. Utilisez les formulaires de ce site ; derrière un proxy inverse, faites-lui transmettre l'en-tête Host d'origine."),
    ("error.too_large.title", "Fichier trop volumineux"),
    ("error.too_large.text", "La requête dépasse la taille acceptée par ce serveur. Envoyez un fichier plus petit, ou demandez à l'administrateur d'augmenter `serve --max-upload`."),
    ("error.bad_form.title", "Formulaire illisible"),
    ("error.bad_form.text", "Le formulaire envoyé ne peut pas être lu. Revenez en arrière, rechargez la page et envoyez-le de nouveau."),
    ("error.no_key.title", "Pas de clé de signature"),
    ("error.no_key.text", "Ce site n'a pas de clé pour signer la sauvegarde. Sur le serveur, créez-en une avec `attestoodle-backup keys generate` (avec l'utilisateur qui lance `serve`), puis téléchargez de nouveau."),
    ("error.cannot_save.title", "Cette formation ne peut pas être sauvegardée"),
    ("error.cannot_save.text", "La formation ne peut pas être écrite dans une sauvegarde en l'état (par exemple sa catégorie a été supprimée). Lancez `attestoodle-backup save --id ID` sur le serveur pour en voir la raison."),
    ("restore.course_map", "Table de correspondance des cours (un fichier CSV ANCIEN,NOUVEAU de noms abrégés, un cours par ligne ; clonage seulement)"),
    ("restore.start", "Ou la nouvelle date de début du clone (les autres dates se décalent d'autant de jours)"),
    ("restore.learners_choice", "Apprenants et leurs réglages de certificat"),
    ("restore.learners_default", "Selon le mode (restaurés par une restauration, laissés de côté par un clonage)"),
    ("restore.learners_with", "Les restaurer"),
    ("restore.learners_without", "Les laisser de côté"),
    ("restore.category_choice", "Catégorie"),
    ("restore.category_auto", "Celle du fichier (trouvée par son identifiant, puis par son chemin)"),
    ("restore.template_choice", "Quand ce site a un modèle du même nom au contenu différent"),
    ("restore.template_reuse", "Utiliser celui de ce site tel quel"),
    ("restore.template_replace", "Le réécrire avec celui du fichier (les autres formations qui l'utilisent changent aussi)"),
    ("restore.template_copy", "Créer celui du fichier sous un autre nom :"),
    ("restore.template_copy_name", "Nom de la copie"),
    ("restore.copy_needs_name", "Indiquez le nom de la copie du modèle, ou choisissez une autre option de modèle."),
    ("restore.shift_or_start", "Indiquez soit un nombre de jours de décalage, soit une nouvelle date de début, pas les deux."),
    ("restore.bad_start", "La date de début {value} n'est pas une date : choisissez-en une dans le champ de date (AAAA-MM-JJ)."),
    ("restore.bad_course_map", "La table de correspondance ne peut pas être lue : {reason}. Chaque ligne doit être ANCIEN,NOUVEAU avec deux noms abrégés de cours."),
    ("restore.mapping", "Ce qui va où"),
    ("restore.map_file_activity", "Activité du fichier"),
    ("restore.map_site_course", "Cours ici"),
    ("restore.map_site_activity", "Activité ici"),
    ("restore.map_how", "Comment"),
    ("restore.map_learners", "Apprenants"),
    ("restore.map_account", "Compte ici"),
    ("restore.change_options", "Modifier les options"),
    ("restore.recheck", "Vérifier à nouveau"),
    ("restore.group_details", "Détails"),
    ("restore.accept_one", "Accepter celui-ci"),
    ("restore.accept_code", "Accepter les {n} constat(s) de ce code :"),
    ("restore.compare", "Ce que le remplacement change"),
    ("restore.compare_intro", "A est la formation telle qu'elle est maintenant sur ce site, B le fichier : chaque ligne est ce que le remplacement écrira autrement."),
    ("compare.title", "Comparer avec une sauvegarde"),
    ("compare.intro", "Envoyez un fichier de sauvegarde (format 2, ou un fichier du plugin PHP) pour voir ce qui diffère entre lui (A) et cette formation telle qu'elle est maintenant (B) : jalons par cours, section et position, modèles, apprenants."),
    ("compare.choose", "Fichier de sauvegarde"),
    ("compare.submit", "Comparer"),
    ("compare.back", "Retour à la formation"),
    ("compare.no_file", "Choisissez un fichier de sauvegarde à comparer avec cette formation."),
    ("compare.rejected", "Ce fichier ne peut pas être comparé :"),
    ("training.template_heading", "Modèle"),
    ("training.background_alt", "L'image de fond du modèle"),
    ("preview.alt", "Aperçu du modèle d'attestation {name} : son fond et chaque élément à sa place, avec un texte d'exemple"),
    ("preview.caption", "Aperçu avec un texte d'exemple ; chaque élément est encadré et nommé par son type (approximatif : les polices du PDF diffèrent)."),
    ("preview.issues", "Non dessiné comme le modèle le dit :"),
    ("preview.heading", "Les deux modèles nommés {name}"),
    ("preview.intro", "Ce site a déjà un modèle de ce nom avec un autre contenu. À gauche, celui du site (utilisé tel quel sauf autre choix plus bas) ; à droite, celui du fichier."),
    ("preview.site", "Le modèle de ce site"),
    ("preview.file", "Le modèle du fichier"),
    ("training.details", "Les éléments du certificat"),
    ("training.detail_data", "Réglages (tels qu'Attestoodle les enregistre)"),
    ("training.learner_name", "Nom"),
    ("training.email", "Adresse électronique"),
    ("training.account_gone", "compte supprimé : une sauvegarde laisse cet apprenant de côté"),
    ("training.account_missing", "compte {id}, qui n'existe plus"),
    ("training.course", "Cours"),
    ("training.section", "Section"),
    ("training.position", "Position"),
    ("training.activity", "Activité"),
    ("training.type", "Type"),
    ("training.minutes", "Minutes créditées"),
    ("training.download", "Télécharger la sauvegarde"),
    ("training.download_help", "Un fichier JSON signé (format 2) pour restaurer ou cloner cette formation avec attestoodle-backup."),
    ("training.download_legacy", "Télécharger pour le plugin PHP"),
    ("training.download_legacy_help", "Un fichier pour tool_save_attestoodle (sans signature, seulement une somme de contrôle)."),
    ("error.internal.title", "Erreur interne"),
    ("error.internal.text", "Une erreur s'est produite sur le serveur (base de données ou système de fichiers). Le détail est dans le journal du serveur ; réessayez, ou prévenez l'administrateur."),
    ("login.title", "Connexion"),
    ("login.intro", "Connectez-vous avec le compte Moodle d'un administrateur de ce site Moodle."),
    ("login.username", "Nom d'utilisateur"),
    ("login.password", "Mot de passe"),
    ("login.submit", "Se connecter"),
    ("login.with_moodle", "Se connecter avec Moodle"),
    ("login.moodle_elsewhere", "Ce Moodle garde ses sessions dans {store}, que cet outil ne lit pas : connectez-vous ici avec le mot de passe d'un compte administrateur local."),
    ("login.with_moodle_help", "pour toute connexion Moodle (CAS, Shibboleth, LDAP…) : connectez-vous à Moodle en administrateur du site, vous revenez ici connecté."),
    ("login.failed", "Nom d'utilisateur ou mot de passe incorrect, ou ce compte ne peut pas se connecter ici (suspendu, supprimé, ou son mot de passe n'est pas conservé par Moodle). Vérifiez-les et réessayez."),
    ("login.throttled", "Trop d'échecs de connexion pour ce nom d'utilisateur ou depuis votre adresse : attendez {minutes} minutes, puis réessayez."),
    ("not_allowed.title", "Accès refusé"),
    ("not_allowed.text", "Seuls les administrateurs de ce site Moodle peuvent utiliser cet outil, et ce compte n'en fait pas partie :"),
    ("not_allowed.what_to_do", "Déconnectez-vous et connectez-vous avec un compte administrateur, ou demandez à un administrateur de faire ce dont vous avez besoin."),
    ("trainings.title", "Formations"),
    ("trainings.search", "Rechercher par nom de formation ou de catégorie"),
    ("trainings.search_button", "Rechercher"),
    ("trainings.name", "Formation"),
    ("trainings.milestones", "Jalons"),
    ("trainings.orphans", "{n} orphelin(s) : activité ou cours disparu"),
    ("trainings.learners", "Apprenants"),
    ("trainings.template", "Modèle"),
    ("trainings.summary", "{shown} formations sur {total}, dans {categories} catégories."),
    ("trainings.no_name", "(sans nom)"),
    ("trainings.no_template", "aucun"),
    ("trainings.no_category", "(catégorie absente) n° {id}"),
    ("training.back", "Toutes les formations"),
    ("training.id", "Identifiant dans Moodle"),
    ("training.category", "Catégorie"),
    ("keys.title", "Clés"),
    ("keys.own", "Clé publique de ce site"),
    ("keys.own_id", "Identifiant de la clé :"),
    ("keys.download", "Télécharger la clé publique de ce site"),
    ("keys.own_missing", "Ce site n'a pas encore de clé de signature en {path} : créez-la sur le serveur avec `attestoodle-backup keys generate`, ou lancez `serve` avec `--key CHEMIN`."),
    ("keys.own_unreadable", "La clé de signature de ce site est inutilisable :"),
    ("keys.trusted", "Clés de confiance"),
    ("keys.trusted_intro", "Les sauvegardes signées avec l'une de ces clés, ou avec la clé de ce site, sont présentées comme authentiques."),
    ("keys.none_trusted", "Aucune clé n'est de confiance en dehors de celle de ce site."),
    ("keys.add", "Faire confiance à la clé d'un autre site"),
    ("keys.paste", "Clé publique au format PEM (-----BEGIN PUBLIC KEY-----)"),
    ("keys.or_file", "ou un fichier qui la contient"),
    ("keys.add_button", "Faire confiance à cette clé"),
    ("keys.added", "La clé {id} est désormais de confiance."),
    ("keys.already", "La clé {id} était déjà de confiance ; rien n'a changé."),
    ("keys.own_already", "La clé {id} est la clé de signature de ce site, toujours de confiance ; rien n'a changé."),
    ("keys.nothing_given", "Collez une clé publique ou choisissez un fichier qui en contient une."),
    ("keys.refused", "Cette clé n'a pas été ajoutée :"),
    ("keys.store_unreadable", "Le magasin de clés de confiance est illisible :"),
    ("verify.title", "Vérifier un fichier"),
    ("verify.intro", "Contrôlez un fichier de sauvegarde (format 2, ou fichier du plugin PHP tool_save_attestoodle) sans le restaurer : son format, son intégrité, et qui l'a signé."),
    ("verify.choose", "Fichier de sauvegarde"),
    ("verify.submit", "Vérifier"),
    ("verify.result", "Résultat"),
    ("verify.file", "Fichier"),
    ("verify.format", "Format"),
    ("verify.training", "Formation"),
    ("verify.integrity", "Intégrité"),
    ("verify.authenticity", "Authenticité"),
    ("verify.format_v2", "attestoodle-backup, format 2"),
    ("verify.format_legacy", "plugin PHP tool_save_attestoodle (version 2019061667)"),
    ("verify.valid", "intact : la signature correspond au contenu"),
    ("verify.invalid", "endommagé ou modifié : {reason}"),
    ("verify.unsigned", "non signé : rien ne garantit que le contenu est inchangé"),
    ("verify.trusted", "signé par une clé de confiance ({id})"),
    ("verify.untrusted", "non fiable : signé avec la clé {id}, que ce site ne connaît pas ; ajoutez-la dans la page Clés si vous savez d'où elle vient"),
    ("verify.broken", "aucune : la signature (clé {id}) ne correspond pas au contenu, le fichier a donc été modifié après avoir été signé ; aucune clé ne peut la rendre valide — utilisez une copie intacte de la sauvegarde"),
    ("verify.no_signature", "aucune : les fichiers du plugin PHP ne sont pas signés"),
    ("verify.checksum_ok", "intact : la somme de contrôle correspond au contenu"),
    ("verify.checksum_bad", "endommagé ou modifié : la somme de contrôle ne correspond pas au contenu"),
    ("verify.rejected", "Ce fichier ne peut pas être lu comme une sauvegarde :"),
    ("verify.no_file", "Choisissez un fichier à vérifier."),
    ("nav.restore", "Restaurer ou cloner"),
    ("restore.title", "Restaurer ou cloner"),
    ("advice.accept", "cochez pour l'accepter"),
    ("advice.trust_key", "importez la clé publique du signataire sur la page Clés"),
    ("advice.name", "saisissez un autre nom dans le champ « {field} »"),
    ("advice.name_proposal", "saisissez un autre nom dans le champ « {field} », par exemple « {proposal} »"),
    ("advice.suffix_or_name", "changez le champ « {suffix} » ou « {name} »"),
    ("advice.category", "choisissez-en une dans la liste « {field} »"),
    ("advice.dates", "décalez-les avec le champ « {shift} » ou « {start} »"),
    ("advice.rename_course", "associez ce cours avec une ligne {course}=NOMABRÉGÉ dans le champ « {field} »"),
    ("advice.file_store", "ce serveur n'atteint pas le stockage de fichiers de Moodle : son administrateur le lance avec le fichier de configuration de Moodle"),
    ("advice.template_copy", "choisissez « {copy} » sous « {choice} » et saisissez un nom dans « {field} »"),
    ("advice.template_copy_proposal", "choisissez « {copy} » sous « {choice} » et saisissez un nom dans « {field} », par exemple « {proposal} »"),
    ("advice.template_replace", "choisissez « {replace} » sous « {choice} »"),
    ("advice.with_learners", "choisissez « {with} » dans la liste « {field} » pour les restaurer"),
    ("clone.title", "Cloner pour l'année suivante"),
    ("clone.intro", "Copiez cette formation sur des cours renommés (par exemple les copies de l'année suivante, avec un suffixe), ses dates décalées. La formation est lue telle qu'elle est, exactement comme le téléchargement de sa sauvegarde la donnerait ; rien n'est écrit avant que vous ayez vu la vérification et l'ayez appliquée."),
    ("clone.check", "Vérifier le clone"),
    ("restore.intro", "Envoyez un fichier de sauvegarde (format 2, ou fichier du plugin PHP tool_save_attestoodle), choisissez de restaurer la formation ou de la cloner sous un nouveau nom, puis vérifiez ce qui sera écrit avant d'appliquer. Le fichier n'est gardé que dans la mémoire de cette session, 30 minutes au plus."),
    ("restore.file", "Fichier de sauvegarde"),
    ("restore.mode", "Que faire"),
    ("restore.mode_restore_help", "Restaurer : recréer la formation, ou remplacer la formation du même nom"),
    ("restore.mode_clone_help", "Cloner : une nouvelle formation sur des cours renommés (ne remplace jamais)"),
    ("restore.name", "Nouveau nom de la formation (facultatif)"),
    ("restore.suffix", "Suffixe ajouté au nom de la formation et au nom abrégé de chaque cours (clonage)"),
    ("restore.courses", "Cours renommés (clonage), un ANCIEN=NOUVEAU par ligne"),
    ("restore.shift", "Nombre de jours de décalage de toutes les dates (clonage ; peut être négatif)"),
    ("restore.check", "Vérifier"),
    ("restore.no_mode", "Choisissez restaurer ou cloner."),
    ("restore.clone_only", "Le suffixe, les cours renommés, la table de correspondance, le décalage des dates et la nouvelle date de début concernent un clonage : choisissez Cloner, ou videz ces champs."),
    ("restore.bad_rename", "Le renommage de cours `{line}` n'est pas valide : écrivez ANCIEN=NOUVEAU, par ex. CHIM101=CHIM101-2027, un par ligne, chaque cours une fois."),
    ("restore.clone_needs_name", "Un clonage demande un nouveau nom : indiquez un suffixe (par ex. _2027), ou un nouveau nom de formation avec des cours renommés."),
    ("restore.bad_shift", "`{value}` n'est pas un nombre de jours : écrivez un nombre entier comme 365 ou -7."),
    ("restore.rejected", "Ce fichier ne peut pas être restauré :"),
    ("restore.no_file", "Choisissez un fichier de sauvegarde à restaurer ou à cloner."),
    ("restore.expired", "Le fichier envoyé n'est plus conservé (il a expiré, a déjà été appliqué, ou un autre fichier a été envoyé depuis) : envoyez-le de nouveau."),
    ("restore.severity.info", "information"),
    ("restore.severity.accept", "à accepter"),
    ("restore.severity.blocking", "bloquant"),
    ("restore.action_replace", "remplace la formation id {id}"),
    ("restore.action_create", "une nouvelle formation"),
    ("restore.write_skip", "{write} à écrire, {skip} ignorés"),
    ("restore.mode_restore", "Restauration"),
    ("restore.mode_clone", "Clonage"),
    ("restore.no_category", "(aucune catégorie ne correspond)"),
    ("restore.precheck", "Vérification préalable"),
    ("restore.training", "Formation"),
    ("restore.category", "Catégorie"),
    ("restore.dates", "Dates"),
    ("restore.shifted", " (décalées de {days} jours)"),
    ("restore.milestones", "Jalons"),
    ("restore.learners", "Apprenants"),
    ("restore.notes", "Remarques sur la conversion du fichier du plugin PHP"),
    ("restore.findings", "Constats"),
    ("restore.no_findings", "Rien à signaler."),
    ("restore.severity", "Gravité"),
    ("restore.code", "Code"),
    ("restore.message", "Constat"),
    ("restore.subjects", "Concerne"),
    ("restore.blocked", "Des constats bloquants (en rouge) empêchent la restauration : rien ne peut être écrit tant qu'ils ne sont pas corrigés comme ils l'indiquent. Corrigez-les, puis envoyez de nouveau le fichier."),
    ("restore.again", "Envoyer de nouveau un fichier"),
    ("restore.to_accept", "Avant d'appliquer, acceptez chaque constat qui le demande : un par un, ou tous les constats d'un code d'une seule case (la restauration n'a lieu que si chacun est accepté)."),
    ("repair.link", "Réparer {n} jalon(s) cassé(s)"),
    ("repair.link_help", "relier les jalons dont l'activité a été supprimée à l'activité du même cours qui porte leur nom."),
    ("repair.title", "Réparation"),
    ("repair.intro", "Un jalon est cassé quand son activité, son cours ou son type d'activité a été supprimé, ou que l'activité est en cours de suppression. Chacun est relié à l'unique activité de son cours qui porte le nom du jalon, dont l'achèvement est activé et qui n'est pas encore un jalon de cette formation ; les autres sont laissés tels quels, avec la raison."),
    ("repair.nothing", "Aucun jalon de cette formation n'est cassé : rien à réparer."),
    ("repair.relinks", "Jalons à relier"),
    ("repair.milestone", "Jalon"),
    ("repair.old", "Ancien module de cours"),
    ("repair.new", "Nouveau module de cours"),
    ("repair.accept", "Laisser ces jalons tels quels :"),
    ("repair.apply", "Réparer"),
    ("repair.tick", "Rien n'a été écrit : cochez chaque constat à accepter ({codes})."),
    ("repair.done", "{n} jalon(s) relié(s)."),
    ("restore.accept", "Accepter"),
    ("restore.apply", "Appliquer"),
    ("restore.cancel", "Annuler et envoyer un autre fichier"),
    ("restore.tick", "Rien n'a été écrit : cochez chaque constat à accepter ({codes}), ou annulez."),
    ("restore.written", "{milestones} jalon(s), {learners} apprenant(s), {styles} style(s) d'apprenant, {planning} ligne(s) de planification"),
    ("restore.previous_no_key", "Ce remplacement ne peut pas garder la formation telle qu'elle est, car ce serveur n'a pas de clé pour signer cette copie : rien n'a été écrit. L'administrateur du serveur crée la clé (voir la page Clés), puis appliquez de nouveau."),
    ("restore.previous_failed", "La formation telle qu'elle est ne peut pas être sauvegardée avant d'être remplacée : rien n'a été écrit"),
    ("restore.previous_download", "Télécharger la formation telle qu'elle était avant le remplacement"),
    ("restore.previous_help", "une sauvegarde signée de ce qui a été remplacé : restaurez-la ici pour revenir en arrière. Elle n'est gardée que dans cette session, jusqu'à votre déconnexion."),
    ("restore.done_created", "Formation créée"),
    ("restore.done_replaced", "Formation remplacée"),
    ("restore.written_label", "Écrit"),
    ("restore.templates_created", "Modèles créés"),
    ("restore.templates_replaced", "Modèles remplacés"),
    ("restore.skipped", "Ignorés"),
    ("restore.open", "Ouvrir la formation dans les pages Attestoodle de Moodle"),
    ("restore.open_path", "La formation dans les pages Attestoodle de Moodle, depuis la racine du site Moodle (son wwwroot n'est pas connu ici) :"),
];

/// The texts of one language, for templates and handlers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tr(pub Lang);

impl Tr {
    /// The text of `key`; the key itself when it is missing (a test makes sure none is).
    pub fn get(&self, key: &'static str) -> &'static str {
        let catalogue = match self.0 {
            Lang::En => EN,
            Lang::Fr => FR,
        };
        catalogue
            .iter()
            .find(|(k, _)| *k == key)
            .map_or(key, |(_, text)| *text)
    }

    /// The text of `key` with each `{name}` replaced by its value.
    pub fn fmt(&self, key: &'static str, values: &[(&str, &str)]) -> String {
        let mut text = self.get(key).to_owned();
        for (name, value) in values {
            text = text.replace(&format!("{{{name}}}"), value);
        }
        text
    }

    /// The language code, for `<html lang>`.
    pub fn code(&self) -> &'static str {
        match self.0 {
            Lang::En => "en",
            Lang::Fr => "fr",
        }
    }
}

/// The keys of the English and the French catalogue, in order (tests).
pub fn catalogue_keys() -> (Vec<&'static str>, Vec<&'static str>) {
    (
        EN.iter().map(|(k, _)| *k).collect(),
        FR.iter().map(|(k, _)| *k).collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    #[test]
    fn both_catalogues_have_every_key_once() {
        let (en, fr) = catalogue_keys();
        let en_set: BTreeSet<_> = en.iter().collect();
        let fr_set: BTreeSet<_> = fr.iter().collect();
        assert_eq!(
            en_set.len(),
            en.len(),
            "a key is twice in the English catalogue"
        );
        assert_eq!(
            fr_set.len(),
            fr.len(),
            "a key is twice in the French catalogue"
        );
        let only_en: Vec<_> = en_set.difference(&fr_set).collect();
        let only_fr: Vec<_> = fr_set.difference(&en_set).collect();
        assert!(only_en.is_empty(), "missing in French: {only_en:?}");
        assert!(only_fr.is_empty(), "missing in English: {only_fr:?}");
    }

    #[test]
    fn placeholders_are_the_same_in_both_languages() {
        let names = |text: &str| -> BTreeSet<String> {
            text.split('{')
                .skip(1)
                .filter_map(|rest| rest.split_once('}').map(|(name, _)| name.to_owned()))
                .collect()
        };
        for (key, en) in EN {
            let fr = Tr(Lang::Fr).get(key);
            assert_eq!(names(en), names(fr), "placeholders of {key}");
            assert!(!fr.is_empty() && !en.is_empty(), "{key} is empty");
        }
    }

    #[test]
    fn every_key_used_in_the_code_and_templates_exists() {
        let root = env!("CARGO_MANIFEST_DIR");
        let mut sources = Vec::new();
        for dir in ["templates", "src/web"] {
            for entry in std::fs::read_dir(format!("{root}/{dir}")).expect("read the directory") {
                let path = entry.expect("a directory entry").path();
                if path.extension().is_some_and(|e| e == "html" || e == "rs") {
                    sources.push((path.clone(), std::fs::read_to_string(&path).expect("read")));
                }
            }
        }
        let (en, _) = catalogue_keys();
        let mut used = 0;
        for (path, text) in &sources {
            for call in ["get(\"", "fmt(\""] {
                for rest in text.split(call).skip(1) {
                    let Some((key, _)) = rest.split_once('"') else {
                        continue;
                    };
                    if key.contains('.') && !key.contains(' ') {
                        used += 1;
                        assert!(
                            en.contains(&key),
                            "{} uses the unknown key {key}",
                            path.display()
                        );
                    }
                }
            }
            // Keys named as string pairs, `("error.x.title", "error.x.text")`.
            for rest in text.split("=> (\"").skip(1) {
                if let Some((key, _)) = rest.split_once('"') {
                    assert!(
                        en.contains(&key),
                        "{} uses the unknown key {key}",
                        path.display()
                    );
                }
            }
        }
        assert!(
            used > 50,
            "the scan found only {used} uses: has the call syntax changed?"
        );
    }
}
