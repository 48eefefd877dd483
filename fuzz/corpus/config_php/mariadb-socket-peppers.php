<?php  // Moodle configuration file

unset($CFG);
global $CFG;
$CFG = new stdClass();

$CFG->dbtype    = 'mariadb';
$CFG->dblibrary = 'native';
$CFG->dbhost    = 'localhost';
$CFG->dbname    = "moodle";
$CFG->dbuser    = 'moodle';
$CFG->dbpass    = 'p@ss\'word\\';
$CFG->prefix    = 'mdl_';
$CFG->dboptions = array (
  'dbpersist' => 0,
  'dbport' => 3306,
  'dbsocket' => '/opt/bitnami/mysql/tmp/mysql.sock',
  'dbcollation' => 'utf8mb4_unicode_ci',
  'readonly' => ['instance' => ['host' => 'replica', 'dbport' => 3308]],
);
$CFG->passwordpeppers = [
    1 => 'old',
    10 => 'new',
];
$CFG->sessioncookie = 'site2';
$CFG->session_handler_class = '\core\session\redis';

if (empty($_SERVER['HTTP_HOST'])) {
  $_SERVER['HTTP_HOST'] = '127.0.0.1:8080';
}
$CFG->wwwroot   = 'http://' . $_SERVER['HTTP_HOST'];
$CFG->dataroot  = '/bitnami/moodledata';
$CFG->admin     = 'admin';
$CFG->directorypermissions = 02775;

require_once(__DIR__ . '/lib/setup.php');
