<?php
$CFG = new stdClass;
$CFG->dbtype = 'pgsql';
$CFG->dbhost = '::1';
$CFG->dbname = 'moodle';
$CFG->dbuser = getenv('DB_USER') ?: 'moodle';
$CFG->dbpass = '';
$CFG->dboptions = ['dbschema' => 'moodle schema', 'dbport' => '5433', 'dbsocket' => true];
$CFG->filedir = '/srv/moodle/files';
$CFG->siteadmins = '2,5';
$CFG->passwordsaltmain = 'a long salt';
/* comment */ # another
$CFG->wwwroot = "https://moodle.example.org";
require_once(dirname(__FILE__) . '/lib/setup.php');
